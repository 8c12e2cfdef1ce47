// The console's one script (served as /ui/assets/console.js): confirmations, copy, print, payloads on demand, and the uPlot charts.
// Kept as text here so `tsc` ships it in dist/ with no copy step; it is plain ES2017 for any current browser.

export const CONSOLE_JS = String.raw`(function () {
  'use strict';
  var PALETTE = ['#1f5fbf', '#c2410c', '#15803d', '#7e22ce', '#b91c1c', '#0e7490', '#a16207', '#be185d', '#4d7c0f', '#475569'];

  function reveal() {
    document.querySelectorAll('[data-action][hidden], [data-copy][hidden]').forEach(function (el) { el.hidden = false; });
  }

  document.addEventListener('submit', function (ev) {
    var form = ev.target;
    if (form && form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) ev.preventDefault();
  });

  document.addEventListener('click', function (ev) {
    var el = ev.target && ev.target.closest ? ev.target.closest('[data-action], [data-copy]') : null;
    if (!el) return;
    if (el.dataset.copy) {
      var src = document.querySelector(el.dataset.copy);
      if (!src || !navigator.clipboard) return;
      navigator.clipboard.writeText(src.value).then(function () { el.textContent = 'Copied'; }, function () { src.select(); });
    } else if (el.dataset.action === 'print') {
      window.print();
    }
  });

  /** A timeline payload left out of the page: read its event's page and put the payload found there in place. */
  function loadPayload(d) {
    var link = d.querySelector('a[href]');
    if (!link) return;
    var src = link.getAttribute('href');
    d.removeAttribute('data-lazy-payload');
    var note = d.querySelector('.payload-status') || d.appendChild(document.createElement('p'));
    note.className = 'payload-status muted';
    note.setAttribute('role', 'status');
    note.textContent = 'Loading the payload…';
    fetch(src, { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (res) {
        if (!res.ok) throw new Error('the console answered ' + res.status);
        return res.text();
      })
      .then(function (html) {
        var found = new DOMParser().parseFromString(html, 'text/html').querySelector('ol.timeline .payload');
        if (!found) throw new Error('the event page has no payload; the session may have ended');
        var wrap = d.closest('.payload');
        var payload = document.importNode(found, true);
        wrap.parentNode.replaceChild(payload, wrap);
        var first = payload.querySelector('summary');
        if (first) first.focus();
      })
      .catch(function (err) {
        note.textContent = 'The payload could not be loaded (' + err.message + '). The link above opens it.';
        d.setAttribute('data-lazy-payload', '');
      });
  }

  // toggle does not bubble: listen in the capture phase for every <details> on the page.
  document.addEventListener('toggle', function (ev) {
    var d = ev.target;
    if (d && d.open && d.hasAttribute && d.hasAttribute('data-lazy-payload')) loadPayload(d);
  }, true);

  document.addEventListener('focusin', function (ev) {
    var el = ev.target;
    if (el && el.hasAttribute && el.hasAttribute('data-select-on-focus')) el.select();
  });

  function money(v) { return v == null ? '' : '$' + (Math.abs(v) < 0.01 && v !== 0 ? v.toFixed(6) : v.toFixed(2)); }
  function count(v) {
    if (v == null) return '';
    if (Math.abs(v) >= 1e6) return (v / 1e6).toFixed(1) + 'M';
    if (Math.abs(v) >= 1e3) return (v / 1e3).toFixed(1) + 'k';
    return String(Math.round(v));
  }

  /** Wide enough for the longest tick label (tiny costs such as $0.000006 included). */
  function axisWidth(u, values) {
    var longest = (values || []).reduce(function (n, v) { return Math.max(n, String(v).length); }, 4);
    return longest * 8 + 24;
  }

  function chart(el) {
    var spec;
    try { spec = JSON.parse(el.getAttribute('data-chart')); } catch (e) { return; }
    if (!spec || !spec.series || spec.series.length === 0) {
      el.textContent = 'No data in this range.';
      return;
    }
    var fmt = spec.unit === 'usd' ? money : count;
    var series = [{ label: 'Time' }].concat(spec.series.map(function (s, i) {
      var color = PALETTE[i % PALETTE.length];
      return { label: s.label, stroke: color, width: 2, points: { show: spec.x.length < 60 }, value: function (u, v) { return fmt(v); } };
    }));
    var opts = {
      width: Math.max(280, el.clientWidth),
      height: 260,
      scales: { x: { time: true } },
      axes: [{}, { size: axisWidth, values: function (u, vals) { return vals.map(fmt); } }],
      series: series
    };
    var plot = new window.uPlot(opts, [spec.x].concat(spec.series.map(function (s) { return s.values; })), el);
    window.addEventListener('resize', function () { plot.setSize({ width: Math.max(280, el.clientWidth), height: 260 }); });
  }

  function start() {
    reveal();
    if (window.uPlot) document.querySelectorAll('[data-chart]').forEach(chart);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
`;
