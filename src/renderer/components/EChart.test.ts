// @vitest-environment happy-dom
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mount } from '@vue/test-utils';
import { defineComponent, h, nextTick, ref } from 'vue';
import { setOptions } from '../test/echarts-mock.ts';
import EChart from './EChart.vue';

vi.mock('vue-echarts', () => import('../test/echarts-mock.ts'));

/** Wait for the frame queue's next frames (happy-dom's requestAnimationFrame is a timer). */
const frames = () => new Promise((r) => setTimeout(r, 60));

function lineOption(points: number): Record<string, unknown> {
  return {
    xAxis: { type: 'value', min: 0, max: points },
    yAxis: [{ type: 'value' }],
    series: [{ name: 'a', type: 'line', data: Array.from({ length: points }, (_, i) => [i * 100, i]) }],
  };
}

describe('EChart with a lazy option source', () => {
  beforeEach(() => setOptions.splice(0));

  it('builds the option in the drawing frame, not when its data changes, and once per frame', async () => {
    const n = ref(5);
    let builds = 0;
    const source = () => {
      builds++;
      return lineOption(n.value);
    };
    const w = mount(defineComponent({ setup: () => () => h(EChart, { source }) }));
    await frames();
    expect(builds).toBe(1);
    expect((setOptions.at(-1) as { series: { data: unknown[] }[] }).series[0].data).toHaveLength(5);
    // three changes in one task (a telemetry batch): nothing is built until the frame, then once
    n.value = 6;
    n.value = 7;
    n.value = 8;
    // the message task's own work (its microtasks, Vue's flush included) builds nothing
    await nextTick();
    await nextTick();
    expect(builds).toBe(1);
    await frames();
    expect(builds).toBe(2);
    expect((setOptions.at(-1) as { series: { data: unknown[] }[] }).series[0].data).toHaveLength(8);
    // unmounted: a change neither builds nor draws
    w.unmount();
    const drawn = setOptions.length;
    n.value = 9;
    await frames();
    expect(builds).toBe(2);
    expect(setOptions.length).toBe(drawn);
  });

  it('emits each option it drew', async () => {
    const option = ref(lineOption(3));
    const drawn: Record<string, unknown>[] = [];
    mount(defineComponent({ setup: () => () => h(EChart, { option: option.value, onDrawn: (o: Record<string, unknown>) => drawn.push(o) }) }));
    await frames();
    option.value = lineOption(4);
    await frames();
    expect(drawn.map((o) => (o.series as { data: unknown[] }[])[0].data.length)).toEqual([3, 4]);
  });
});
