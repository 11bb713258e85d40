/** InitProducerId (key 22), from Kafka's InitProducerIdRequest.json / InitProducerIdResponse.json. */
import type { ApiSpec } from '../schema.js';

export const InitProducerId = {
  apiKey: 22,
  name: 'InitProducerId',
  request: {
    name: 'InitProducerIdRequest', apiKey: 22, type: 'request', validVersions: '0-5', flexibleVersions: '2+',
    fields: [
      { name: 'transactionalId', type: 'string', versions: '0+', nullableVersions: '0+' },
      { name: 'transactionTimeoutMs', type: 'int32', versions: '0+' },
      { name: 'producerId', type: 'int64', versions: '3+', default: -1 },
      { name: 'producerEpoch', type: 'int16', versions: '3+', default: -1 },
    ],
  },
  response: {
    name: 'InitProducerIdResponse', apiKey: 22, type: 'response', validVersions: '0-5', flexibleVersions: '2+',
    fields: [
      { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
      { name: 'errorCode', type: 'int16', versions: '0+' },
      { name: 'producerId', type: 'int64', versions: '0+', default: -1 },
      { name: 'producerEpoch', type: 'int16', versions: '0+' },
    ],
  },
} as const satisfies ApiSpec;
