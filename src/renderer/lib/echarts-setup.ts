/** Registers the ECharts parts the console uses (tree-shaken core build). */
import { use } from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { BarChart, LineChart } from 'echarts/charts';
import { DataZoomInsideComponent, GridComponent, LegendComponent, MarkAreaComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';

use([CanvasRenderer, LineChart, BarChart, GridComponent, LegendComponent, MarkLineComponent, MarkAreaComponent, TooltipComponent, DataZoomInsideComponent]);
