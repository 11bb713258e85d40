/** DeleteRecords (key 21), from Kafka's DeleteRecordsRequest.json / DeleteRecordsResponse.json. */
import type { ApiSpec } from '../schema.js';

export const DeleteRecords = {
  apiKey: 21,
  name: 'DeleteRecords',
  request: {
    name: 'DeleteRecordsRequest', apiKey: 21, type: 'request', validVersions: '0-2', flexibleVersions: '2+',
    fields: [
      { name: 'topics', type: '[]DeleteRecordsTopic', versions: '0+', fields: [
        { name: 'name', type: 'string', versions: '0+' },
        { name: 'partitions', type: '[]DeleteRecordsPartition', versions: '0+', fields: [
          { name: 'partitionIndex', type: 'int32', versions: '0+' },
          // -1 means "up to the high watermark".
          { name: 'offset', type: 'int64', versions: '0+' },
        ] },
      ] },
      { name: 'timeoutMs', type: 'int32', versions: '0+' },
    ],
  },
  response: {
    name: 'DeleteRecordsResponse', apiKey: 21, type: 'response', validVersions: '0-2', flexibleVersions: '2+',
    fields: [
      { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
      { name: 'topics', type: '[]DeleteRecordsTopicResult', versions: '0+', fields: [
        { name: 'name', type: 'string', versions: '0+' },
        { name: 'partitions', type: '[]DeleteRecordsPartitionResult', versions: '0+', fields: [
          { name: 'partitionIndex', type: 'int32', versions: '0+' },
          { name: 'lowWatermark', type: 'int64', versions: '0+' },
          { name: 'errorCode', type: 'int16', versions: '0+' },
        ] },
      ] },
    ],
  },
} as const satisfies ApiSpec;
