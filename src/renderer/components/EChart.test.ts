// @vitest-environment happy-dom
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mount } from '@vue/test-utils';
import { defineComponent, h, nextTick, ref } from 'vue';
import { setOptions } from '../test/echarts-mock.ts';
import { LIGHT, timeChartOption } from '../lib/charts.ts';
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

describe('EChart legend', () => {
  beforeEach(() => setOptions.splice(0));
  const option = () =>
    timeChartOption(
      {
        lines: [
          { name: 'Score', data: [[0, 1], [100, 2], [200, 3]], color: '#112233' },
          { name: 'Side cores', data: [[0, 1], [100, 1], [200, 2]], yAxis: 1 },
        ],
        yAxes: [{ name: 'score' }, { name: 'side cores', integer: true }],
      },
      LIGHT,
    );

  it('is HTML buttons (one per series, its colour) that show and hide series; the canvas draws none', async () => {
    const w = mount(EChart, { props: { option: option() } });
    await frames();
    const drawn = setOptions[0] as { legend: { show: boolean } };
    expect(drawn.legend.show).toBe(false);
    const items = w.findAll('.chart-legend button');
    expect(items.map((b) => b.text())).toEqual(['Score', 'Side cores']);
    expect(items[0].get('.swatch').attributes('style')).toContain('background: #112233');
    expect(items[0].attributes('aria-pressed')).toBe('true');
    await items[0].trigger('click');
    expect(w.get('[data-series="Score"]').attributes('aria-pressed')).toBe('false');
    // the next draw sets the whole option with the series deselected in ECharts' legend model
    await frames();
    expect(setOptions.at(-1)).toMatchObject({ legend: { show: false, selected: { Score: false } } });
    await w.get('[data-series="Score"]').trigger('click');
    expect(w.get('[data-series="Score"]').attributes('aria-pressed')).toBe('true');
    await frames();
    expect((setOptions.at(-1) as { legend: { selected?: unknown } }).legend.selected).toBeUndefined();
    // a data update keeps the legend as it is (no DOM change at 10 Hz)
    await w.setProps({ option: option() });
    await frames();
    expect(w.findAll('.chart-legend button')).toHaveLength(2);
    w.unmount();
  });

  it('draws the legend into a PNG export only, then hides it again', async () => {
    const w = mount(EChart, { props: { option: option() } });
    await frames();
    const before = setOptions.length;
    const url = (w.vm as unknown as { png: (bg: string) => string }).png('#fff');
    expect(url).toMatch(/^data:image\/png/);
    expect(setOptions.slice(before)).toEqual([
      { legend: { show: true }, grid: { top: 50 } },
      { legend: { show: false }, grid: { top: 30 } },
    ]);
    w.unmount();
  });

  it('sends annotations in a data update only when they changed', async () => {
    const ev = (t: number) => ({ t, source: 'operator' as const, kind: 'override' as const, message: 'pin' });
    const opt = (n: number, events: ReturnType<typeof ev>[]) =>
      timeChartOption({ lines: [{ name: 'a', data: Array.from({ length: n }, (_, i) => [i * 100, i] as [number, number]) }], yAxes: [{ name: 'a' }], events }, LIGHT);
    const w = mount(EChart, { props: { option: opt(5, [ev(100)]) } });
    await frames();
    await w.setProps({ option: opt(6, [ev(100)]) });
    await frames();
    await w.setProps({ option: opt(7, [ev(100), ev(300)]) });
    await frames();
    const sent = setOptions.map((o) => 'markLine' in (o.series as Record<string, unknown>[])[0]);
    // full option, unchanged marks left out, changed marks sent
    expect(sent).toEqual([true, false, true]);
    w.unmount();
  });

  it('draws stacked areas as one custom series; hiding a band redraws the stack without it; a PNG names the bands', async () => {
    const band = (v: number) => [0, 100, 200].map((t) => [t, v] as [number, number]);
    const opt = timeChartOption(
      {
        lines: ['A', 'B', 'C'].map((name, i) => ({ name, data: band(0.1 * (i + 1)), stack: 's', area: true, color: ['#111111', '#222222', '#333333'][i] })),
        yAxes: [{ name: 'share', max: 1 }],
      },
      LIGHT,
    );
    const w = mount(EChart, { props: { option: opt } });
    await frames();
    type Custom = { type: string; renderItem: (p: { dataIndex: number }, api: { coord: (v: number[]) => number[] }) => { children: { style: { fill: string } }[] } };
    const fills = () => {
      const s = (setOptions.at(-1) as { series: Custom[] }).series[0];
      expect(s.type).toBe('custom');
      return s.renderItem({ dataIndex: 0 }, { coord: (v) => v }).children.map((c) => c.style.fill);
    };
    expect(fills()).toEqual(['#111111', '#222222', '#333333']);
    // the legend names the bands, not the custom series
    expect(w.findAll('.chart-legend button').map((b) => b.text())).toEqual(['A', 'B', 'C']);
    await w.get('[data-series="B"]').trigger('click');
    await frames();
    expect(fills()).toEqual(['#111111', '#333333']);
    const before = setOptions.length;
    (w.vm as unknown as { png: (bg: string) => string }).png('#fff');
    const [shown, restored] = setOptions.slice(before) as { legend: { show: boolean; data?: string[] }; series: { name?: string; data?: unknown[] }[] }[];
    expect(shown.legend).toMatchObject({ show: true, data: ['A', 'C'] });
    expect(shown.series.slice(1).map((x) => [x.name, x.data?.length])).toEqual([
      ['A', 0],
      ['C', 0],
    ]);
    expect(restored.legend.show).toBe(false);
    expect(restored.series).toHaveLength(1);
    w.unmount();
  });

  it('has no legend for an option without one (sparklines)', async () => {
    const w = mount(EChart, { props: { option: lineOption(4) } });
    await frames();
    expect(w.find('.chart-legend').exists()).toBe(false);
    w.unmount();
  });
});
