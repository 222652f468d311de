/** Registers the ECharts parts the console uses (tree-shaken core build). */
import { use } from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { BarChart, CustomChart, LineChart } from 'echarts/charts';
import { DataZoomInsideComponent, GridComponent, LegendComponent, MarkAreaComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';

use([CanvasRenderer, LineChart, BarChart, CustomChart, GridComponent, LegendComponent, MarkLineComponent, MarkAreaComponent, TooltipComponent, DataZoomInsideComponent]);
