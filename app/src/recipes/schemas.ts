import { z } from 'zod';

/** Text that Postgres can store: trimmed, bounded, and free of NUL characters. */
function text(min: number, max: number) {
  return z
    .string()
    .trim()
    .min(min)
    .max(max)
    .refine((value) => !value.includes('\u0000'), 'must not contain NUL characters');
}

export const MAX_PAGE_SIZE = 100;

export const listQuery = z.object({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, `must be a whole number from 1 to ${MAX_PAGE_SIZE}`)
    .transform(Number)
    .pipe(z.number().int().min(1).max(MAX_PAGE_SIZE))
    .default(MAX_PAGE_SIZE),
  cursor: z.string().optional(),
});

export const recipePath = z.object({
  id: z
    .string()
    .regex(/^[1-9]\d{0,15}$/, 'must be a positive whole number')
    .transform(Number)
    .pipe(z.number().int().max(Number.MAX_SAFE_INTEGER)),
});

const ingredient = z.strictObject({
  name: text(1, 200),
  quantity: text(0, 100).nullable().optional(),
});

const fields = {
  name: text(1, 200),
  author: text(0, 200).nullable(),
  source: text(0, 2000).nullable(),
  servings: z.number().int().min(1).max(1000),
  time: z.number().int().min(0).max(100_000).nullable(),
  tags: z.array(text(1, 40)).max(20),
  ingredients: z.array(ingredient).max(100),
  steps: z.array(text(1, 5000)).max(100),
};

export const createRecipeBody = z.strictObject({
  name: fields.name,
  author: fields.author.optional(),
  source: fields.source.optional(),
  servings: fields.servings.default(4),
  time: fields.time.optional(),
  tags: fields.tags.default([]),
  ingredients: fields.ingredients.default([]),
  steps: fields.steps.default([]),
  team_id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
});

export const updateRecipeBody = z
  .strictObject({
    name: fields.name.optional(),
    author: fields.author.optional(),
    source: fields.source.optional(),
    servings: fields.servings.optional(),
    time: fields.time.optional(),
    tags: fields.tags.optional(),
    ingredients: fields.ingredients.optional(),
    steps: fields.steps.optional(),
  })
  .refine((body) => Object.values(body).some((value) => value !== undefined), 'must change at least one field');

export type CreateRecipe = z.output<typeof createRecipeBody>;
export type UpdateRecipe = z.output<typeof updateRecipeBody>;
export type Ingredient = z.output<typeof ingredient>;
