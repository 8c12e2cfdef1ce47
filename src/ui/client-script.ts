// The console's one script (served as /ui/assets/console.js): confirmations, copy, expand-all, print, and the uPlot charts.
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
    } else if (el.dataset.action === 'expand-all') {
      var all = document.querySelectorAll('.timeline details');
      var open = el.getAttribute('aria-pressed') !== 'true';
      all.forEach(function (d) { d.open = open; });
      el.setAttribute('aria-pressed', open ? 'true' : 'false');
      el.textContent = open ? 'Collapse all payloads' : 'Expand all payloads';
    }
  });

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
