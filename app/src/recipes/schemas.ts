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
    .default(MAX_PAGE_SIZE)
    .describe(`recipes per page, 1 to ${MAX_PAGE_SIZE} (default ${MAX_PAGE_SIZE})`),
  cursor: z.string().optional().describe("the previous page's next_cursor, as it came"),
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

// The answers, as the OpenAPI document describes them (app/src/operations.ts); nothing parses them at run time.

/** A timestamp as Date#toJSON writes it (UTC, milliseconds). */
const timestamp = z.iso.datetime();

/** A recipe of a list page: its own columns, without ingredients or steps. */
export const recipeSummary = z.object({
  id: z.number().int().positive(),
  team_id: z.number().int().positive(),
  name: z.string(),
  author: z.string().nullable(),
  source: z.string().nullable(),
  servings: z.number().int(),
  time: z.number().int().nullable().describe('minutes'),
  tags: z.array(z.string()),
  created: timestamp,
  modified: timestamp,
});

/** A recipe with its ingredients and steps, in order. */
export const recipeDetail = recipeSummary.extend({
  ingredients: z.array(z.object({ position: z.number().int(), name: z.string(), quantity: z.string().nullable() })),
  steps: z.array(z.object({ position: z.number().int(), text: z.string() })),
});

/** One page of the list: `next_cursor` asks for the next one, null on the last. */
export const recipePage = z.object({
  recipes: z.array(recipeSummary).max(MAX_PAGE_SIZE),
  next_cursor: z.string().nullable(),
});
