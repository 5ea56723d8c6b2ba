// Builds the web app into ui/dist, which the hub serves (hub.static_dir, default <source>/ui/dist).
// The DICOM image loader runs its decoders in module workers and loads WASM codecs at run time:
// they must not be pre-bundled by the dev server, and workers are emitted as ES modules.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 8000,
    sourcemap: false,
    // One entry and one chunk: splitting Cornerstone across chunks creates an import cycle
    // ("Class extends value undefined") in the production bundle.
  },
  worker: { format: 'es' },
  optimizeDeps: {
    exclude: ['@cornerstonejs/dicom-image-loader'],
    include: ['dicom-parser'],
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/dicomweb': 'http://127.0.0.1:8080',
      '/share': 'http://127.0.0.1:8080',
    },
  },
});
