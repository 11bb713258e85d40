/** AlterConfigs (key 33), from Kafka's AlterConfigsRequest.json / AlterConfigsResponse.json. */
import type { ApiSpec } from '../schema.js';

export const AlterConfigs = {
  apiKey: 33,
  name: 'AlterConfigs',
  request: {
    name: 'AlterConfigsRequest', apiKey: 33, type: 'request', validVersions: '0-2', flexibleVersions: '2+',
    fields: [
      { name: 'resources', type: '[]AlterConfigsResource', versions: '0+', fields: [
        { name: 'resourceType', type: 'int8', versions: '0+' },
        { name: 'resourceName', type: 'string', versions: '0+' },
        { name: 'configs', type: '[]AlterableConfig', versions: '0+', fields: [
          { name: 'name', type: 'string', versions: '0+' },
          { name: 'value', type: 'string', versions: '0+', nullableVersions: '0+' },
        ] },
      ] },
      { name: 'validateOnly', type: 'bool', versions: '0+' },
    ],
  },
  response: {
    name: 'AlterConfigsResponse', apiKey: 33, type: 'response', validVersions: '0-2', flexibleVersions: '2+',
    fields: [
      { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
      { name: 'responses', type: '[]AlterConfigsResourceResponse', versions: '0+', fields: [
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
        { name: 'resourceType', type: 'int8', versions: '0+' },
        { name: 'resourceName', type: 'string', versions: '0+' },
      ] },
    ],
  },
} as const satisfies ApiSpec;
