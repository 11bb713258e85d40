/**
 * Routes a decoded request to its handler. The `switch` on `apiName` narrows the request
 * body's type, so each handler receives exactly the fields its table defines.
 */
import type { DecodedRequest } from '../protocol/index.js';
import type { Dispatch, HandlerResult, RequestContext } from './connection.js';
import { handleApiVersions } from './handlers/api-versions.js';
import { handleAlterConfigs, handleDescribeConfigs, handleIncrementalAlterConfigs } from './handlers/configs.js';
import { handleFetch } from './handlers/fetch.js';
import {
  handleDeleteGroups,
  handleDescribeGroups,
  handleFindCoordinator,
  handleHeartbeat,
  handleJoinGroup,
  handleLeaveGroup,
  handleListGroups,
  handleOffsetCommit,
  handleOffsetFetch,
  handleSyncGroup,
} from './handlers/groups.js';
import { handleInitProducerId } from './handlers/init-producer-id.js';
import { handleListOffsets } from './handlers/list-offsets.js';
import { handleMetadata } from './handlers/metadata.js';
import { handleProduce } from './handlers/produce.js';
import { handleCreatePartitions, handleCreateTopics, handleDeleteRecords, handleDeleteTopics } from './handlers/topics-admin.js';
import type { BrokerState } from './state.js';

const body = (b: object): HandlerResult => ({ body: b });

export function createDispatch(state: BrokerState): Dispatch {
  return async (req: DecodedRequest, ctx: RequestContext): Promise<HandlerResult> => {
    const v = req.apiVersion;
    if (req.trailingBytes > 0) {
      // Ignored as Kafka ignores them (protocol/index.ts#decodeRequest); counted so they show.
      state.stats.noteTrailingBytes(req.apiKey, req.trailingBytes);
      state.log.debug({ api: req.apiName, version: v, trailingBytes: req.trailingBytes, clientId: ctx.clientId }, 'ignored bytes after the request body');
    }
    switch (req.apiName) {
      case 'ApiVersions':
        return body(handleApiVersions(req.body));
      case 'Metadata':
        return body(await handleMetadata(state, req.body, v));
      case 'Produce': {
        const r = await handleProduce(state, req.body, v, ctx.connection, ctx.releaseFrame);
        return r === null ? null : body(r);
      }
      case 'Fetch':
        return { chunks: await handleFetch(state, req.body, v, req.header.correlationId) };
      case 'ListOffsets':
        return body(handleListOffsets(state, req.body, v));
      case 'CreateTopics':
        return body(await handleCreateTopics(state, req.body));
      case 'DeleteTopics':
        return body(await handleDeleteTopics(state, req.body, v));
      case 'CreatePartitions':
        return body(await handleCreatePartitions(state, req.body));
      case 'DeleteRecords':
        return body(await handleDeleteRecords(state, req.body));
      case 'DescribeConfigs':
        return body(handleDescribeConfigs(state, req.body, v));
      case 'AlterConfigs':
        return body(await handleAlterConfigs(state, req.body));
      case 'IncrementalAlterConfigs':
        return body(await handleIncrementalAlterConfigs(state, req.body));
      case 'FindCoordinator':
        return body(handleFindCoordinator(state, req.body, v));
      case 'JoinGroup':
        return body(await handleJoinGroup(state, req.body, v, ctx));
      case 'SyncGroup':
        return body(await handleSyncGroup(state, req.body));
      case 'Heartbeat':
        return body(handleHeartbeat(state, req.body));
      case 'LeaveGroup':
        return body(handleLeaveGroup(state, req.body, v));
      case 'ListGroups':
        return body(handleListGroups(state, req.body));
      case 'DescribeGroups':
        return body(handleDescribeGroups(state, req.body));
      case 'DeleteGroups':
        return body(await handleDeleteGroups(state, req.body));
      case 'OffsetCommit':
        return body(await handleOffsetCommit(state, req.body, v));
      case 'OffsetFetch':
        return body(handleOffsetFetch(state, req.body));
      case 'InitProducerId':
        return body(await handleInitProducerId(state, req.body));
      default: {
        // Every API in SUPPORTED_APIS has a case above: adding one to api-keys.ts without a
        // handler fails to compile here (`req` would not be `never`).
        const unhandled: never = req;
        throw new Error(`no handler for ${(unhandled as DecodedRequest).apiName}`);
      }
    }
  };
}
