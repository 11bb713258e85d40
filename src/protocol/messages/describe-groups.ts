/** DescribeGroups (key 15), from Kafka's DescribeGroupsRequest.json / DescribeGroupsResponse.json. */
import type { ApiSpec } from '../schema.js';

export const DescribeGroups = {
  apiKey: 15,
  name: 'DescribeGroups',
  request: {
    name: 'DescribeGroupsRequest', apiKey: 15, type: 'request', validVersions: '0-5', flexibleVersions: '5+',
    fields: [
      { name: 'groups', type: '[]string', versions: '0+' },
      { name: 'includeAuthorizedOperations', type: 'bool', versions: '3+' },
    ],
  },
  response: {
    name: 'DescribeGroupsResponse', apiKey: 15, type: 'response', validVersions: '0-5', flexibleVersions: '5+',
    fields: [
      { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
      { name: 'groups', type: '[]DescribedGroup', versions: '0+', fields: [
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'groupId', type: 'string', versions: '0+' },
        { name: 'groupState', type: 'string', versions: '0+' },
        { name: 'protocolType', type: 'string', versions: '0+' },
        { name: 'protocolData', type: 'string', versions: '0+' },
        { name: 'members', type: '[]DescribedGroupMember', versions: '0+', fields: [
          { name: 'memberId', type: 'string', versions: '0+' },
          { name: 'groupInstanceId', type: 'string', versions: '4+', nullableVersions: '4+', default: null },
          { name: 'clientId', type: 'string', versions: '0+' },
          { name: 'clientHost', type: 'string', versions: '0+' },
          { name: 'memberMetadata', type: 'bytes', versions: '0+' },
          { name: 'memberAssignment', type: 'bytes', versions: '0+' },
        ] },
        { name: 'authorizedOperations', type: 'int32', versions: '3+', default: -2147483648 },
      ] },
    ],
  },
} as const satisfies ApiSpec;
