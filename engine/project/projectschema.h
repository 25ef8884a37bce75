// The schema of a .lorafit file and its migrations (internal to engine/project).
// Every schema version is reached by running the migration steps in order from
// an empty database, so creating a file and upgrading an old one run the same
// code, always in one transaction together with PRAGMA user_version. This file
// does not open files or take locks (see projectstore.cpp).
#pragma once

#include <cstdint>
#include <string>

namespace engine {

class SqliteDatabase;

// The version this build writes; files with a higher PRAGMA user_version are refused.
constexpr int kProjectSchemaVersion = 2;
// PRAGMA application_id of every .lorafit file: "LRFT".
constexpr std::int32_t kProjectApplicationId = 0x4C524654;

// Brings `db` (empty, or a Lorafit project at an older version) to `targetVersion`
// in one transaction. Throws engine::Error if the file is newer than `targetVersion`.
void migrateProjectDatabase(SqliteDatabase &db, int targetVersion = kProjectSchemaVersion);

// Creates a new project file at schema `version` (1..kProjectSchemaVersion) under a
// temporary name and renames it to `path`; refuses to replace an existing file.
// Tests use it to make files of older versions.
void createProjectFile(const std::string &path, int version = kProjectSchemaVersion);

} // namespace engine
