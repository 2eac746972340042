import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { notFound } from '../errors/domain-error';

/**
 * Every path parameter is an id, and every id we hand out (UUIDs, key ids, Razorpay ids, ledger
 * accounts, roles) fits the shape of a stream name: 1..200 letters, digits and `_ . : @ -`,
 * starting with a letter or digit. Anything else names nothing we hold, so it is answered 404
 * here, before any query sees it (a NUL would fail PostgreSQL's text input with a 500).
 * Routes keep their own, narrower checks (an account id is a UUID) behind this one.
 */
const ID_PARAM = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,199}$/;

@Injectable()
export class IdParamPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'param') return value;
    // @Param('id') is one value; a bare @Param() is all of them.
    const ids = metadata.data === undefined && typeof value === 'object' && value !== null ? Object.values(value) : [value];
    if (!ids.every((id) => typeof id === 'string' && ID_PARAM.test(id))) throw notFound('not_found', 'No such resource.');
    return value;
  }
}
