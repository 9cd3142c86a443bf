/** Headers on every response, whether the app answers or the server does before the app sees the request. */
export function commonHeaders(servedBy: string): Record<string, string> {
  return {
    // Which replica answered: tools and tests read it to see HAProxy spread the load.
    'X-Served-By': servedBy,
    // Browsers take Content-Type as given: a JSON body or a problem is never sniffed into HTML or script.
    'X-Content-Type-Options': 'nosniff',
  };
}
