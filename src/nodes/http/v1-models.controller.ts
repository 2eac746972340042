import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequireApiKey } from '../../api-keys/api-key.guard';
import { ModelsCatalog } from '../routing/models-catalog';

/** A fixed `created` (OpenAI lists one per model; ours would only tell when a node first served it). */
const CREATED = 0;

/** OpenAI's model list: only models with at least one approved node heartbeating them ready. */
@ApiTags('v1')
@ApiBearerAuth()
@Controller('v1')
@RequireApiKey()
export class V1ModelsController {
  constructor(private readonly catalog: ModelsCatalog) {}

  @Get('models')
  @ApiOkResponse({ description: '{ object: "list", data: [{ id, object: "model", created, owned_by, context_length }] }' })
  async list() {
    const models = await this.catalog.liveModels();
    return { object: 'list', data: models.map((m) => ({ id: m.id, object: 'model', created: CREATED, owned_by: m.ownedBy, context_length: m.contextLength })) };
  }
}
