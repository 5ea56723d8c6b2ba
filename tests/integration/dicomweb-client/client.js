// Drives the hub with the npm dicomweb-client: STOW-RS a file, QIDO it back, WADO-RS metadata,
// instance and frames. Prints one JSON object with what each call returned; the python test
// (test_dicomweb_client.py) checks it.
//   node client.js BASE_URL FILE.dcm PATIENT_ID
global.XMLHttpRequest = require('xhr2');
const fs = require('fs');
const crypto = require('crypto');
const { api } = require('dicomweb-client');

async function main() {
  const [base, file, patientId] = process.argv.slice(2);
  const client = new api.DICOMwebClient({ url: base, singlepart: false });
  const bytes = fs.readFileSync(file);
  const out = {};
  await client.storeInstances({
    datasets: [bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)],
  });
  out.stored = true;
  const studies = await client.searchForStudies({ queryParams: { PatientID: patientId } });
  out.studies = studies.map((s) => s['0020000D'].Value[0]);
  const studyUID = out.studies[0];
  const series = await client.searchForSeries({ studyInstanceUID: studyUID });
  out.series = series.map((s) => s['0020000E'].Value[0]);
  const instances = await client.searchForInstances({ studyInstanceUID: studyUID });
  out.instances = instances.map((i) => i['00080018'].Value[0]);
  const seriesInstanceUID = out.series[0];
  const sopInstanceUID = instances.find(
      (i) => i['0020000E'] ? i['0020000E'].Value[0] === seriesInstanceUID : true)['00080018'].Value[0];
  const metadata = await client.retrieveInstanceMetadata(
      { studyInstanceUID: studyUID, seriesInstanceUID, sopInstanceUID });
  out.metadataRows = metadata[0]['00280010'].Value[0];
  out.metadataHasPixelBulkData = !!(metadata[0]['7FE00010'] && metadata[0]['7FE00010'].BulkDataURI);
  const instance = await client.retrieveInstance(
      { studyInstanceUID: studyUID, seriesInstanceUID, sopInstanceUID });
  out.instanceSha256 = crypto.createHash('sha256').update(Buffer.from(instance)).digest('hex');
  const frames = await client.retrieveInstanceFrames(
      { studyInstanceUID: studyUID, seriesInstanceUID, sopInstanceUID, frameNumbers: [1] });
  out.frameBytes = frames[0].byteLength;
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  process.stderr.write(`dicomweb-client failed: ${e && e.stack ? e.stack : JSON.stringify(e)}\n`);
  process.exit(1);
});
