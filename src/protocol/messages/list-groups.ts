/** ListGroups (key 16), from Kafka's ListGroupsRequest.json / ListGroupsResponse.json. */
import type { ApiSpec } from '../schema.js';

export const ListGroups = {
  apiKey: 16,
  name: 'ListGroups',
  request: {
    name: 'ListGroupsRequest', apiKey: 16, type: 'request', validVersions: '0-5', flexibleVersions: '3+',
    fields: [
      { name: 'statesFilter', type: '[]string', versions: '4+' },
      { name: 'typesFilter', type: '[]string', versions: '5+' },
    ],
  },
  response: {
    name: 'ListGroupsResponse', apiKey: 16, type: 'response', validVersions: '0-5', flexibleVersions: '3+',
    fields: [
      { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
      { name: 'errorCode', type: 'int16', versions: '0+' },
      { name: 'groups', type: '[]ListedGroup', versions: '0+', fields: [
        { name: 'groupId', type: 'string', versions: '0+' },
        { name: 'protocolType', type: 'string', versions: '0+' },
        { name: 'groupState', type: 'string', versions: '4+' },
        { name: 'groupType', type: 'string', versions: '5+' },
      ] },
    ],
  },
} as const satisfies ApiSpec;
