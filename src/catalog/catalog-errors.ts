import { errorFactory } from '../common/errors/app.exception';

export enum CatalogErrorCode {
  UnknownModel = 'unknown_model',
  InvalidJobParameter = 'invalid_job_parameter',
}

export const catalogError = errorFactory<CatalogErrorCode>({
  [CatalogErrorCode.UnknownModel]: {
    status: 422,
    message: 'The model is not in the catalog.',
  },
  [CatalogErrorCode.InvalidJobParameter]: {
    status: 400,
    message: 'A job parameter is not valid for this model.',
  },
});
