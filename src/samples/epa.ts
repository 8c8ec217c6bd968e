import { EPA_FIELD, type EpaColumn, epaColumns, epaDeviceId } from '../formats/epa';
import { formatWallTime, parseWallTime } from '../time/wall-time';
import { seededRandom } from './random';

/** The air-quality sample: EPA AQS hourly rows (the 24 columns) for two monitors of one site, with spikes. */

export interface EpaSampleOptions {
  seed: number;
  /** First GMT day, `YYYY-MM-DD`. */
  startDate: string;
  days: number;
  /** Injected spikes per monitor, all after the first week. */
  spikesPerDevice: number;
}

export const defaultEpaSampleOptions: EpaSampleOptions = { seed: 2, startDate: '2017-01-01', days: 21, spikesPerDevice: 2 };

export type EpaRow = Record<EpaColumn, string>;

export interface EpaSample {
  rows: EpaRow[];
  /** Exactly the injected spikes: device id as Vigil names it, reading ts, value. */
  spikes: Array<{ deviceId: string; ts: number; value: number }>;
}

interface EpaMonitor {
  site: Pick<EpaRow, 'State Code' | 'County Code' | 'Site Num' | 'Latitude' | 'Longitude' | 'Datum' | 'State Name' | 'County Name'>;
  parameter: Pick<EpaRow, 'Parameter Code' | 'POC' | 'Parameter Name' | 'Units of Measure' | 'MDL' | 'Method Type' | 'Method Code' | 'Method Name'>;
  /** The usual value at an hour of local standard time. */
  usual(localHour: number): number;
  /** Half-width of the uniform noise. */
  noise: number;
  /** An injected spike is the usual value plus this: beyond 4 stdev of the whole series. */
  spikeJump: number;
  decimals: number;
}

/** Los Angeles-North Main Street: AQS reports its local time as PST all year (UTC-8). */
const epaSite: EpaMonitor['site'] = {
  'State Code': '06',
  'County Code': '037',
  'Site Num': '1103',
  Latitude: '34.06659',
  Longitude: '-118.22688',
  Datum: 'WGS84',
  'State Name': 'California',
  'County Name': 'Los Angeles',
};
const EPA_LOCAL_OFFSET_HOURS = -8;

const epaMonitors: EpaMonitor[] = [
  {
    site: epaSite,
    parameter: {
      'Parameter Code': '44201',
      POC: '1',
      'Parameter Name': 'Ozone',
      'Units of Measure': 'Parts per million',
      MDL: '0.005',
      'Method Type': 'FEM',
      'Method Code': '087',
      'Method Name': 'INSTRUMENTAL - ULTRA VIOLET ABSORPTION',
    },
    // Photochemical: low at night, peaking in the early afternoon.
    usual: (hour) => 0.028 + 0.018 * Math.sin((2 * Math.PI * (hour - 8)) / 24),
    noise: 0.004,
    spikeJump: 0.09,
    decimals: 3,
  },
  {
    site: epaSite,
    parameter: {
      'Parameter Code': '88101',
      POC: '3',
      'Parameter Name': 'PM2.5 - Local Conditions',
      'Units of Measure': 'Micrograms/cubic meter (LC)',
      MDL: '2',
      'Method Type': 'FEM',
      'Method Code': '170',
      'Method Name': 'Met One BAM-1020 Mass Monitor w/VSCC - Beta Attenuation',
    },
    // Traffic: a morning and an evening rush over a background.
    usual: (hour) => 9 + 5 * Math.exp(-((hour - 8) ** 2) / 4) + 6 * Math.exp(-((hour - 20) ** 2) / 6),
    noise: 2,
    spikeJump: 40,
    decimals: 1,
  },
];

/**
 * Hourly EPA AQS rows of the 24 columns for two monitors (ozone and PM2.5) of one Los Angeles
 * site, interleaved in time order, deterministic for a seed.
 */
export function generateEpaSample(options: EpaSampleOptions = defaultEpaSampleOptions): EpaSample {
  const firstHour = parseWallTime(`${options.startDate} 00:00:00`);
  if (firstHour === undefined) throw new RangeError(`startDate must be YYYY-MM-DD, not ${JSON.stringify(options.startDate)}`);
  const hours = options.days * 24;
  const warmUpHours = 7 * 24;
  if (hours - warmUpHours < options.spikesPerDevice) throw new RangeError('an EPA sample needs more than a week for its spikes');
  const random = seededRandom(options.seed);
  const spikeHours = epaMonitors.map(() => {
    const chosen = new Set<number>();
    while (chosen.size < options.spikesPerDevice) chosen.add(warmUpHours + Math.floor(random() * (hours - warmUpHours)));
    return chosen;
  });
  const rows: EpaRow[] = [];
  const spikes: EpaSample['spikes'] = [];
  for (let hour = 0; hour < hours; hour += 1) {
    const gmt = firstHour + hour * 3600_000;
    const local = gmt + EPA_LOCAL_OFFSET_HOURS * 3600_000;
    const localHour = new Date(local).getUTCHours();
    epaMonitors.forEach((monitor, index) => {
      const scale = 10 ** monitor.decimals;
      const usual = monitor.usual(localHour);
      const noisy = Math.max(0, usual + (random() * 2 - 1) * monitor.noise);
      const spike = spikeHours[index]?.has(hour) ?? false;
      const value = Math.round((spike ? usual + monitor.spikeJump : noisy) * scale) / scale;
      const [localDate, localTime] = formatWallTime(local).split(' ') as [string, string];
      const [gmtDate, gmtTime] = formatWallTime(gmt).split(' ') as [string, string];
      rows.push({
        ...monitor.site,
        ...monitor.parameter,
        'Date Local': localDate,
        'Time Local': localTime.slice(0, 5),
        'Date GMT': gmtDate,
        'Time GMT': gmtTime.slice(0, 5),
        'Sample Measurement': value.toFixed(monitor.decimals),
        Uncertainty: '',
        Qualifier: '',
        'Date of Last Change': '2017-04-28',
      });
      if (spike) spikes.push({ deviceId: epaDeviceId({ stateCode: monitor.site['State Code'], countyCode: monitor.site['County Code'], siteNum: monitor.site['Site Num'], parameterCode: monitor.parameter['Parameter Code'], poc: monitor.parameter.POC }), ts: gmt, value });
    });
  }
  return { rows, spikes };
}

/** AQS files quote text and leave numbers bare; the sample writes its rows the same way. */
const epaNumericColumns = new Set<EpaColumn>(['POC', 'Latitude', 'Longitude', 'Sample Measurement', 'MDL', 'Uncertainty']);

function epaCell(column: EpaColumn, value: string): string {
  return epaNumericColumns.has(column) ? value : `"${value.replaceAll('"', '""')}"`;
}

/** One row as an AQS file line: the wire form of the `epa` format. */
export function epaCsvLine(row: EpaRow): string {
  return epaColumns.map(([column]) => epaCell(column, row[column])).join(',');
}

export function epaSampleCsv(sample: EpaSample): string {
  const header = epaColumns.map(([column]) => `"${column}"`).join(',');
  return [header, ...sample.rows.map(epaCsvLine)].join('\n') + '\n';
}

