// Runs a callback once a streamed response has been read to its end or the client went away.
export function onStreamEnd(res: Response, end: () => void): Response {
  let done = false;
  const finish = () => {
    if (!done) (done = true), end();
  };
  if (!res.body) {
    finish();
    return res;
  }
  const reader = res.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      try {
        const { value, done: last } = await reader.read();
        if (last) {
          ctrl.close();
          finish();
        } else ctrl.enqueue(value);
      } catch (err) {
        finish();
        ctrl.error(err);
      }
    },
    cancel(reason) {
      finish();
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}
