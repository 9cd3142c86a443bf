// The seeded demo user and the API's default page size: one copy, read by the k6 scripts and by the kit's
// TypeScript tools (tools/stack) alike. Plain constants, so both k6 and Node can import this file.

/** The user `npm run db:seed` creates in the demo team. */
export const DEMO_EMAIL = 'demo@example.com';

/** The seed's password when SEED_PASSWORD is not set (compose.yaml's development secret dev-secrets/seed_password). */
export const DEFAULT_DEMO_PASSWORD = 'demo-password';

/** Recipes per list page when no `limit` is given (the API's default page size). */
export const PAGE_SIZE = 100;
