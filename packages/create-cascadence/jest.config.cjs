const { templateVersions } = require('./versions.cjs');

module.exports = require('../../jest.base.cjs')(__dirname, {
  globals: { __CREATE_CASCADENCE_VERSIONS__: templateVersions() },
});
