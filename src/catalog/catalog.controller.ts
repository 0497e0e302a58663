import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { RequireScopes } from '../common/auth/require-scopes.decorator';
import { CatalogService } from './catalog.service';
import { ModelsResponseDto } from './dto/catalog-listing.dto';
import { EstimateRequestDto } from './dto/estimate-request.dto';
import { EstimateResponseDto } from './dto/estimate-response.dto';

@ApiTags('catalog')
@ApiBearerAuth()
@RequireScopes('gateway', 'dashboard')
@Controller('v1')
export class CatalogController {
  constructor(private readonly catalog: CatalogService) {}

  @Get('models')
  @ApiOperation({ summary: 'Models with coverage and default Spark estimates, and the plans.' })
  @ApiOkResponse({ type: ModelsResponseDto })
  models(): ModelsResponseDto {
    return this.catalog.listing();
  }

  @Post('estimate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Spark estimate for one job.' })
  @ApiOkResponse({ type: EstimateResponseDto })
  @ApiBadRequestResponse({
    description: 'invalid_job_parameter or validation_failed: names the parameter.',
  })
  @ApiUnprocessableEntityResponse({
    description: 'unknown_model: the model is not in the catalog.',
  })
  estimate(@Body() body: EstimateRequestDto): EstimateResponseDto {
    return this.catalog.estimate(body);
  }
}
