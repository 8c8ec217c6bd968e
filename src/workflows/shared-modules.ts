/**
 * The modules every workflow of a worker's sandbox shares: the worker preloads this one module
 * (src/workflow-bundle.ts says why), and with it every module imported here: all that the
 * workflow files import, directly or not, except zod and the SDK, which are shared as well.
 *
 * The SDK deep-freezes what a preloaded module exports, so that no workflow can change what the
 * others see. zod, though, completes a schema on its first use (bound methods, a parse that
 * rewrites itself once it knows the schema is not recursive) and a frozen schema refuses that.
 * So each module's exports are frozen here, shallowly: the SDK finds them frozen and leaves what
 * they hold as it is. That makes these modules' exported objects shared and writable: they must
 * stay constants (schemas, tables, pure functions), which is what a module of the domain and
 * detector layers holds anyway; a module-level cache (time-zone formatters) is shared as well.
 *
 * `test/unit/workflow-bundle.test.ts` checks that this list is exactly what the workflows import.
 */
// zod itself is shared with them; its own objects are the SDK's to freeze.
import 'zod';
import * as anomalies from '../contracts/anomalies';
import * as contract from '../contracts/contract';
import * as deviceEvents from '../contracts/device-events';
import * as artime from '../detectors/artime';
import * as detector from '../detectors/detector';
import * as flatline from '../detectors/flatline';
import * as htm from '../detectors/htm';
import * as incident from '../detectors/incident';
import * as isolationForest from '../detectors/isolation-forest';
import * as registry from '../detectors/registry';
import * as seasonalHistory from '../detectors/seasonal-history';
import * as seasonalIforest from '../detectors/seasonal-iforest';
import * as threshold from '../detectors/threshold';
import * as welford from '../detectors/welford';
import * as zscore from '../detectors/zscore';
import * as anomalyReport from '../device/anomaly-report';
import * as apply from '../device/apply';
import * as attention from '../device/attention';
import * as control from '../device/control';
import * as item from '../device/item';
import * as judging from '../device/judging';
import * as ledger from '../device/ledger';
import * as packedItems from '../device/packed-items';
import * as reorder from '../device/reorder';
import * as settings from '../device/settings';
import * as state from '../device/state';
import * as summary from '../device/summary';
import * as windows from '../device/windows';
import * as mt19937 from '../random/mt19937';
import * as reading from '../reading';
import * as wallTime from '../time/wall-time';
import * as validate from '../validate';
import * as definitions from './definitions';

for (const module of [anomalies, contract, deviceEvents, artime, detector, flatline, htm, incident, isolationForest, registry, seasonalHistory, seasonalIforest, threshold, welford, zscore, anomalyReport, apply, attention, control, item, judging, ledger, packedItems, reorder, settings, state, summary, windows, mt19937, reading, wallTime, validate, definitions]) Object.freeze(module);
