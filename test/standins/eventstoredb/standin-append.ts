/**
 * Streams.Append: a client stream of one `options` message followed by proposed messages; one
 * reply. A wrong expected version is answered in-band (AppendResp.wrong_expected_version), as
 * the server does, not as a gRPC error.
 */
import { sendUnaryData, ServerReadableStream, status } from '@grpc/grpc-js';
import { Empty } from '@eventstore/db-client/generated/shared_pb';
import { AppendReq, AppendResp } from '@eventstore/db-client/generated/streams_pb';
import { Expected, ProposedEvent, StandInLog } from './standin-log';
import { streamNameOf, uuidString } from './standin-proto';

export function appendHandler(log: StandInLog) {
  return (call: ServerReadableStream<AppendReq, AppendResp>, callback: sendUnaryData<AppendResp>): void => {
    let options: AppendReq.Options | undefined;
    const proposed: ProposedEvent[] = [];
    let failed = false;
    const fail = (details: string) => {
      if (failed) return;
      failed = true;
      callback({ code: status.INVALID_ARGUMENT, details });
    };

    call.on('data', (req: AppendReq) => {
      if (req.hasOptions()) {
        if (options) return fail('options sent twice');
        options = req.getOptions();
        return;
      }
      const message = req.getProposedMessage();
      if (!options || !message) return fail('expected options first, then proposed messages');
      const metadata = message.getMetadataMap();
      proposed.push({
        id: uuidString(message.getId()),
        type: metadata.get('type') ?? '',
        contentType: metadata.get('content-type') ?? 'application/octet-stream',
        data: message.getData_asU8(),
        customMetadata: message.getCustomMetadata_asU8(),
      });
    });

    call.on('end', () => {
      if (failed) return;
      if (!options) return fail('no options');
      const expected = expectedOf(options);
      const outcome = log.append(streamNameOf(options.getStreamIdentifier()), expected, proposed);
      const resp = new AppendResp();
      if (outcome.kind === 'wrong_expected_version') {
        resp.setWrongExpectedVersion(wrongExpectedVersion(expected, outcome.currentRevision));
      } else {
        const position = new AppendResp.Position().setCommitPosition(outcome.lastLogPosition.toString(10)).setPreparePosition(outcome.lastLogPosition.toString(10));
        resp.setSuccess(new AppendResp.Success().setCurrentRevision(outcome.lastRevision.toString(10)).setPosition(position));
      }
      callback(null, resp);
    });
    // A cancelled or broken call has nobody to answer; nothing was written yet.
    call.on('error', () => {
      failed = true;
    });
  };
}

function expectedOf(options: AppendReq.Options): Expected {
  if (options.hasRevision()) return { kind: 'revision', revision: BigInt(options.getRevision()) };
  if (options.hasNoStream()) return { kind: 'no_stream' };
  if (options.hasStreamExists()) return { kind: 'stream_exists' };
  return { kind: 'any' };
}

function wrongExpectedVersion(expected: Expected, current: bigint | null): AppendResp.WrongExpectedVersion {
  const wev = new AppendResp.WrongExpectedVersion();
  if (current === null) wev.setCurrentNoStream(new Empty());
  else wev.setCurrentRevision(current.toString(10));
  switch (expected.kind) {
    case 'revision':
      return wev.setExpectedRevision(expected.revision.toString(10));
    case 'no_stream':
      return wev.setExpectedNoStream(new Empty());
    case 'stream_exists':
      return wev.setExpectedStreamExists(new Empty());
    case 'any':
      return wev.setExpectedAny(new Empty());
  }
}
