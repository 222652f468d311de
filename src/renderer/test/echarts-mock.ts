/**
 * Stand-in for vue-echarts in component tests (happy-dom's canvas has no 2D context).
 * Records every option the app sets so tests can check what a chart would draw.
 */
import { defineComponent, h } from 'vue';

/** Options passed to setOption, newest last. */
export const setOptions: Record<string, unknown>[] = [];


export default defineComponent({
  name: 'VChartMock',
  setup(_props, { expose }) {
    expose({
      setOption: (o: Record<string, unknown>) => setOptions.push(o),
      getOption: () => setOptions.at(-1) ?? {},
      getDataURL: () => 'data:image/png;base64,iVBORw0KGgo=',
      // a wide chart: the app draws lines at full resolution (no decimation) in component tests
      getWidth: () => 4000,
    });
    return () => h('div', { class: 'vchart-mock' });
  },
});
