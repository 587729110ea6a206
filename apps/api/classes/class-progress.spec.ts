import type { MessageEvent } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import type { LabEvent } from '../../../libs/events/lab-events';
import { classProgressStream, countByStatus } from './class-progress';

const CLASS = 'c0000000-0000-4000-8000-000000000000';

function fakeSource(initial: Record<string, string>) {
  const statuses = { ...initial };
  const handlers = new Set<(event: LabEvent) => void>();
  return {
    statuses,
    source: {
      statuses: async () => Object.entries(statuses).map(([id, status]) => ({ id, status, failureReason: status === 'failed' ? 'image missing' : null })),
      subscribe: (handler: (event: LabEvent) => void) => {
        handlers.add(handler);
        return () => void handlers.delete(handler);
      },
    },
    /** The worker changed a lab and published it. */
    change(labId: string, status: 'ready' | 'failed', classId?: string) {
      if (!classId || classId === CLASS) statuses[labId] = status;
      for (const h of handlers) h({ type: 'lab-status', labId, status, classId, reason: status === 'failed' ? 'image missing' : undefined });
    },
    get subscribers() {
      return handlers.size;
    },
  };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

function collect(stream: ReturnType<typeof classProgressStream>) {
  const events: MessageEvent[] = [];
  let completed = false;
  const subscription = stream.subscribe({ next: (e) => void events.push(e), complete: () => (completed = true) });
  return { events, subscription, done: () => completed };
}

describe('classProgressStream', () => {
  it('reports labs already settled, then each lab as it settles, and ends when none is provisioning', async () => {
    const fake = fakeSource({ a: 'ready', b: 'provisioning', c: 'provisioning' });
    const sut = collect(classProgressStream(CLASS, fake.source));
    await tick();
    expect(sut.events.map((e) => e.type)).toEqual(['lab', 'progress']);
    expect(sut.events[0].data).toEqual({ labId: 'a', status: 'ready' });
    fake.change('b', 'ready');
    await tick();
    fake.change('c', 'failed', CLASS);
    await tick();
    const labs = sut.events.filter((e) => e.type === 'lab').map((e) => e.data);
    expect(labs).toEqual([
      { labId: 'a', status: 'ready' },
      { labId: 'b', status: 'ready' },
      { labId: 'c', status: 'failed', reason: 'image missing' },
    ]);
    expect(sut.events.at(-1)).toEqual({ type: 'settled', data: { counts: countByStatus([{ status: 'ready' }, { status: 'ready' }, { status: 'failed' }]), total: 3 } });
    expect(sut.done()).toBe(true);
    expect(fake.subscribers).toBe(0);
  });

  it('ignores events of labs of other classes and reports each lab once', async () => {
    const fake = fakeSource({ a: 'provisioning' });
    const sut = collect(classProgressStream(CLASS, fake.source));
    await tick();
    fake.change('zz', 'ready', 'd0000000-0000-4000-8000-000000000000');
    await tick();
    expect(sut.events.filter((e) => e.type === 'lab')).toEqual([]);
    fake.change('a', 'ready');
    fake.change('a', 'ready');
    await tick();
    expect(sut.events.filter((e) => e.type === 'lab')).toHaveLength(1);
    expect(sut.done()).toBe(true);
  });

  it('stops listening when the client leaves', async () => {
    const fake = fakeSource({ a: 'provisioning' });
    const sut = collect(classProgressStream(CLASS, fake.source));
    await tick();
    sut.subscription.unsubscribe();
    expect(fake.subscribers).toBe(0);
  });
});
