import { z } from 'zod';

export const loginBody = z.object({
  email: z.string().trim().min(3).max(254).pipe(z.email()),
  password: z.string().min(1).max(1024),
});

/** The logged-in user; the session itself travels in the cookie. */
export const loginResult = z.object({
  user: z.object({ id: z.number().int().positive(), email: z.string(), name: z.string() }),
});
