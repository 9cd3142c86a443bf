import type { RecipeListPage } from './queries.js';

const PAGE_START = Buffer.from('{"recipes":[');

/**
 * The list page's JSON body, `{"recipes":[...],"next_cursor":...}`, as one Buffer: the items' bytes from Postgres
 * copied once between the page's start and end. The same bytes `c.json` would write for the parsed rows (a test holds
 * it to that), without decoding a page of UTF-8 into strings, joining them and encoding the result again.
 */
export function listPageBody(page: RecipeListPage, nextCursor: string | null): Buffer<ArrayBuffer> {
  return Buffer.concat([PAGE_START, page.items, Buffer.from(`],"next_cursor":${JSON.stringify(nextCursor)}}`)]);
}
