import { describe, expect, it } from 'vitest';
import { communityQuery, exportPath, filterFromParams, geojsonPath, projectQuery, reportPath, reviewQuery } from './query';

describe('query strings', () => {
  it('leaves out empty filters and encodes Chinese', () => {
    expect(communityQuery({})).toBe('');
    expect(communityQuery({ district: '', item: null, verdict: '', q: '  ' })).toBe('');
    expect(communityQuery({ district: '武昌区', item: 4, verdict: 'not_complete' })).toBe(
      '?district=%E6%AD%A6%E6%98%8C%E5%8C%BA&item=4&verdict=not_complete',
    );
  });
  it('GeoJSON path keeps the filters and adds geometry only when asked', () => {
    expect(geojsonPath({ item: 2 })).toBe('/v1/office/communities.geojson?item=2');
    expect(geojsonPath({}, 'boundary')).toBe('/v1/office/communities.geojson?geometry=boundary');
    expect(geojsonPath({ item: 2 }, 'boundary')).toBe('/v1/office/communities.geojson?item=2&geometry=boundary');
  });
  it('projects and reviews', () => {
    expect(projectQuery({ status: 'funded', target_year: 2027 })).toBe('?status=funded&target_year=2027');
    expect(reviewQuery(['submitted', 'resubmitted'])).toBe('?state=submitted%2Cresubmitted');
  });
  it('exports: format first, fields comma-joined, then the filters', () => {
    expect(exportPath({ entity: 'findings', format: 'xlsx', fields: ['community', 'item', 'status'], district: '洪山区', item: 9, status: 'not_met' })).toBe(
      '/v1/office/exports/findings?format=xlsx&fields=community%2Citem%2Cstatus&district=%E6%B4%AA%E5%B1%B1%E5%8C%BA&item=9&status=not_met',
    );
    expect(exportPath({ entity: 'communities', format: 'geojson', fields: [] })).toBe('/v1/office/exports/communities?format=geojson');
    expect(reportPath(2026, 'html')).toBe('/v1/office/report?year=2026&format=html');
  });
  it('reads a filter back from the hash, refusing what is not valid', () => {
    expect(filterFromParams(new URLSearchParams('district=武昌区&item=21&verdict=bad'))).toEqual({ district: '武昌区', item: null, verdict: '', q: '' });
    expect(filterFromParams(new URLSearchParams('item=9&verdict=complete')).item).toBe(9);
  });
});
