import { describe, expect, it } from 'vitest';
import { Batcher } from './batcher';

type Item = { lab: string; n: number };
type Call = { items: Item[]; finish: (error?: Error) => void };

/** A statement that ends when the test says so, answering each item's n doubled; an item with n < 0 is refused. */
function setup(options: { maxItems: number; key?: (item: Item) => string; gatherMs?: number }) {
  const calls: Call[] = [];
  const sut = new Batcher<Item, number>(
    (items) =>
      new Promise((resolve, reject) => {
        const call: Call = { items, finish: (error) => (error ? reject(error) : resolve(items.map((i) => i.n * 2))) };
        calls.push(call);
        if (items.some((i) => i.n < 0)) call.finish(new Error('refused'));
      }),
    options,
  );
  return { calls, sut };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const ns = (calls: Call[]) => calls.map((c) => c.items.map((i) => i.n));

describe('Batcher', () => {
  it('runs an item alone at once, then the items that came meanwhile in one statement, each getting its own result', async () => {
    const { calls, sut } = setup({ maxItems: 10 });
    const first = sut.submit({ lab: 'a', n: 1 });
    await tick();
    expect(ns(calls)).toEqual([[1]]);
    const more = [2, 3, 4].map((n) => sut.submit({ lab: String(n), n }));
    await tick();
    expect(calls).toHaveLength(1);
    calls[0].finish();
    expect(await first).toBe(2);
    await tick();
    expect(ns(calls)).toEqual([[1], [2, 3, 4]]);
    calls[1].finish();
    expect(await Promise.all(more)).toEqual([4, 6, 8]);
  });

  it('never puts two items of one key in a statement, nor more than maxItems: the rest keep their order for the next', async () => {
    const { calls, sut } = setup({ maxItems: 2, key: (i) => i.lab });
    const all = [sut.submit({ lab: 'x', n: 1 })];
    await tick();
    all.push(...[{ lab: 'a', n: 2 }, { lab: 'a', n: 3 }, { lab: 'b', n: 4 }, { lab: 'c', n: 5 }].map((i) => sut.submit(i)));
    for (let i = 0; i < 3; i++) {
      calls[i].finish();
      await tick();
    }
    expect(ns(calls)).toEqual([[1], [2, 4], [3, 5]]);
    expect(await Promise.all(all)).toEqual([2, 4, 6, 8, 10]);
  });

  it('a statement Postgres refuses fails only its bad item: the others of the batch are run one by one', async () => {
    const { calls, sut } = setup({ maxItems: 10 });
    const first = sut.submit({ lab: 'a', n: 1 });
    await tick();
    const settled = Promise.allSettled([2, -1, 3].map((n) => sut.submit({ lab: String(n), n })));
    calls[0].finish();
    await first;
    for (let i = 0; i < 20 && calls.length < 5; i++) {
      await tick();
      calls.filter((c) => !c.items.some((item) => item.n < 0)).forEach((c) => c.finish());
    }
    const results = await settled;
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : 'refused'))).toEqual([4, 'refused', 6]);
    expect(ns(calls)).toEqual([[1], [2, -1, 3], [2], [-1], [3]]);
  });

  it('with gatherMs, an item that finds nothing in flight waits that long for others, then they go together', async () => {
    const { calls, sut } = setup({ maxItems: 10, gatherMs: 30 });
    const first = sut.submit({ lab: 'a', n: 1 });
    await tick();
    expect(calls).toHaveLength(0);
    const second = sut.submit({ lab: 'b', n: 2 });
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(ns(calls)).toEqual([[1, 2]]);
    calls[0].finish();
    expect(await Promise.all([first, second])).toEqual([2, 4]);
  });

  it('flush sends what is gathering at once (a process that stops)', async () => {
    const { calls, sut } = setup({ maxItems: 10, gatherMs: 60_000 });
    const item = sut.submit({ lab: 'a', n: 1 });
    await tick();
    expect(calls).toHaveLength(0);
    sut.flush();
    expect(ns(calls)).toEqual([[1]]);
    calls[0].finish();
    expect(await item).toBe(2);
  });

  it('a statement that answers a wrong number of rows fails its items instead of giving them each other’s results', async () => {
    const sut = new Batcher<number, number>(async (items) => items.slice(1), { maxItems: 10 });
    await expect(sut.submit(1)).rejects.toThrow('a batch of 1 answered 0 results');
  });
});
