/**
 * Runs `work` with a signal that aborts after `ms` (or when `signal` aborts), and fails at that deadline even if
 * `work` does not notice, on a timer that keeps Node running. AbortSignal.timeout's timer does not keep it running:
 * a fetch that undici leaves pending (a published port that accepts while the container behind it is still starting)
 * then ends the process with exit code 13, "unsettled top-level await", instead of failing at its deadline. Reading
 * the body belongs inside `work`, so the deadline covers it too.
 */
export async function withDeadline<T>(ms: number, work: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal | null): Promise<T> {
  const deadline = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = new DOMException(`no answer within ${ms} ms`, 'TimeoutError');
      deadline.abort(error);
      reject(error);
    }, ms);
  });
  try {
    return await Promise.race([work(signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
