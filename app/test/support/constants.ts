/** The password every seeded user gets in tests. */
export const TEST_PASSWORD = 'test-password';
export const DEMO_EMAIL = 'demo@example.com';
export const OTHER_EMAIL = 'other@example.com';
