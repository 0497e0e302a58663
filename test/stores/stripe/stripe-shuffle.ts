/** A seeded PRNG (mulberry32): the same seed gives the same delivery order in every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every item once or twice (as Stripe redelivers), in a seeded random order. */
export function shuffledWithDuplicates<T>(items: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const out: T[] = [];
  for (const item of items) {
    out.push(item);
    if (random() < 0.5) out.push(item);
  }
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
