/** DeleteGroups (key 42), from Kafka's DeleteGroupsRequest.json / DeleteGroupsResponse.json. */
import type { ApiSpec } from '../schema.js';

export const DeleteGroups = {
  apiKey: 42,
  name: 'DeleteGroups',
  request: {
    name: 'DeleteGroupsRequest', apiKey: 42, type: 'request', validVersions: '0-2', flexibleVersions: '2+',
    fields: [
      // Kafka's schema spells it "GroupsNames".
      { name: 'groupsNames', type: '[]string', versions: '0+' },
    ],
  },
  response: {
    name: 'DeleteGroupsResponse', apiKey: 42, type: 'response', validVersions: '0-2', flexibleVersions: '2+',
    fields: [
      { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
      { name: 'results', type: '[]DeletableGroupResult', versions: '0+', fields: [
        { name: 'groupId', type: 'string', versions: '0+' },
        { name: 'errorCode', type: 'int16', versions: '0+' },
      ] },
    ],
  },
} as const satisfies ApiSpec;
