/** Deterministic, realistic-looking recipe data: the same seed always yields the same recipes. */

export interface SeedRecipe {
  name: string;
  author: string;
  source: string;
  servings: number;
  timeMinutes: number;
  tags: string[];
  ingredients: { name: string; quantity: string }[];
  steps: string[];
}

/** mulberry32: a tiny seeded PRNG, good enough for test data and identical on every platform. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STYLES = ['Smoky', 'Crispy', 'Slow-Cooked', 'Lemony', 'Spiced', 'Garlicky', 'Herbed', 'Roasted', 'Charred',
  'Creamy', 'Sticky', 'Zesty', 'Rustic', 'Honey-Glazed', 'Braised', 'Pan-Fried', 'Grilled', 'One-Pot'];
const MAINS = ['Chicken', 'Salmon', 'Chickpea', 'Mushroom', 'Pork Belly', 'Tofu', 'Lamb', 'Cauliflower', 'Prawn',
  'Aubergine', 'Beef', 'Squash', 'Lentil', 'Halloumi', 'Duck', 'Sweet Potato', 'Cod', 'Spinach'];
const DISHES = ['Tacos', 'Curry', 'Traybake', 'Risotto', 'Noodles', 'Stew', 'Salad', 'Pie', 'Flatbreads',
  'Soup', 'Skewers', 'Gratin', 'Fried Rice', 'Bowls', 'Pasta', 'Frittata', 'Dumplings', 'Tagine'];
const AUTHORS = ['Ana Ribeiro', 'Tomasz Nowak', 'Priya Raman', 'Kofi Mensah', 'Léa Martin', 'Hiroshi Tanaka',
  'Grace O\'Neill', 'Mateo García', 'Ingrid Solberg', 'Yusuf Demir', 'Mei Lin', 'Olu Adeyemi'];
const SOURCES = ['Family notebook', 'The Weeknight Table (2019), p. 112', 'Market stall conversation',
  'Grandmother\'s card box', 'Cooking class, spring term', 'Adapted from a restaurant menu'];
const TAGS = ['vegetarian', 'vegan', 'gluten-free', 'quick', 'weeknight', 'batch-cook', 'spicy', 'comfort',
  'summer', 'winter', 'freezer-friendly', 'one-pot', 'party', 'kid-friendly', 'dairy-free', 'high-protein'];
const PANTRY: [string, string[]][] = [
  ['olive oil', ['1 tbsp', '2 tbsp', '3 tbsp']], ['onion, finely chopped', ['1', '2']],
  ['garlic cloves, crushed', ['2', '3', '4']], ['fresh ginger, grated', ['1 tsp', '2 cm piece']],
  ['tinned tomatoes', ['400 g', '800 g']], ['vegetable stock', ['250 ml', '500 ml', '1 l']],
  ['smoked paprika', ['1 tsp', '2 tsp']], ['ground cumin', ['1 tsp', '1/2 tsp']], ['lemon, juiced', ['1', '1/2']],
  ['soy sauce', ['1 tbsp', '2 tbsp']], ['honey', ['1 tbsp', '2 tsp']], ['butter', ['25 g', '50 g']],
  ['plain flour', ['2 tbsp', '150 g']], ['double cream', ['100 ml', '150 ml']], ['coriander, chopped', ['a handful']],
  ['parsley, chopped', ['a small bunch']], ['basmati rice', ['200 g', '300 g']], ['eggs', ['2', '4']],
  ['parmesan, grated', ['30 g', '50 g']], ['chilli flakes', ['a pinch', '1/2 tsp']], ['sea salt', ['to taste']],
  ['black pepper', ['to taste']], ['spring onions, sliced', ['3', '4']], ['coconut milk', ['400 ml']],
];
const STEPS = [
  'Heat the oil in a large pan over a medium heat.',
  'Add the onion and a pinch of salt and cook for 8–10 minutes until soft and golden.',
  'Stir in the garlic and spices and cook for a minute more, until fragrant.',
  'Add the {main} and brown on all sides, working in batches so the pan stays hot.',
  'Pour in the liquid, bring to a simmer, cover and cook gently for {minutes} minutes.',
  'Meanwhile, cook the rice or bread according to the packet instructions.',
  'Taste and adjust the seasoning with salt, pepper and a squeeze of lemon.',
  'Scatter over the herbs and serve straight away.',
  'Preheat the oven to 200°C (180°C fan) and line a tray with baking paper.',
  'Roast for {minutes} minutes, turning halfway, until caramelised at the edges.',
  'Leave to rest for five minutes before slicing.',
  'Whisk the dressing ingredients together and toss through just before serving.',
];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function between(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

function sample<T>(random: () => number, items: readonly T[], count: number): T[] {
  const pool = [...items];
  const chosen: T[] = [];
  while (chosen.length < count && pool.length > 0) chosen.push(pool.splice(Math.floor(random() * pool.length), 1)[0] as T);
  return chosen;
}

/** `count` recipes from `seed`: 3 to 12 ingredients and 2 to 8 steps each. */
export function generateRecipes(seed: number, count: number): SeedRecipe[] {
  const random = createRandom(seed);
  return Array.from({ length: count }, (_, index) => {
    const main = pick(random, MAINS);
    const minutes = between(random, 10, 90);
    const ingredients = sample(random, PANTRY, between(random, 2, 11)).map(([name, quantities]) => ({
      name,
      quantity: pick(random, quantities),
    }));
    ingredients.unshift({ name: main.toLowerCase(), quantity: `${between(random, 2, 8) * 100} g` });
    return {
      // The number keeps names unique and makes a recipe easy to find again in a list.
      name: `${pick(random, STYLES)} ${main} ${pick(random, DISHES)} No. ${index + 1}`,
      author: pick(random, AUTHORS),
      source: pick(random, SOURCES),
      servings: between(random, 1, 8),
      timeMinutes: minutes + between(random, 5, 30),
      tags: sample(random, TAGS, between(random, 0, 4)),
      ingredients,
      steps: sample(random, STEPS, between(random, 2, 8)).map((step) =>
        step.replace('{main}', main.toLowerCase()).replace('{minutes}', String(minutes)),
      ),
    };
  });
}
