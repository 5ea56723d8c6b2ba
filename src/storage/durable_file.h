#pragma once
// Durable whole-file writes for documents the hub keeps on disk beside the blob store (letters'
// PDFs): the bytes go to a temporary file in the same directory, which is fsynced, renamed over
// the target and the directory fsynced, so a reader (or a restart after kill -9) sees the old
// file or the new one, never a torn one. Stateless; thread-safe for distinct paths.

#include <filesystem>
#include <string_view>

namespace dualread {

// Creates the parent directories if needed. Throws StorageError (storage/blob_store.h) naming
// the path on any failure; the temporary file is then removed.
void writeFileDurably(const std::filesystem::path& path, std::string_view bytes);

}  // namespace dualread
