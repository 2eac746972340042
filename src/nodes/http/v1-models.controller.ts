import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { OkResponse } from '../../platform/http/schema/responses';
import { RequireApiKey } from '../../api-keys/api-key.guard';
import { ModelsCatalog } from '../routing/models-catalog';
import { ModelList } from './nodes.schemas';

/** A fixed `created` (OpenAI lists one per model; ours would only tell when a node first served it). */
const CREATED = 0;

/** OpenAI's model list: only models with at least one approved node heartbeating them ready. */
@ApiTags('inference')
@ApiBearerAuth()
@Controller('v1')
@RequireApiKey()
export class V1ModelsController {
  constructor(private readonly catalog: ModelsCatalog) {}

  @Get('models')
  @OkResponse(ModelList, 'The models a live node serves now.')
  async list(): Promise<z.infer<typeof ModelList>> {
    const models = await this.catalog.liveModels();
    return { object: 'list', data: models.map((m) => ({ id: m.id, object: 'model', created: CREATED, owned_by: m.ownedBy, context_length: m.contextLength })) };
  }
}
