using System.Text.Json.Serialization;

namespace Transfer.Models;

/// <summary>
/// Source-generated JSON for <see cref="ModelManifest"/>: saving and loading a model then runs no reflection-based
/// serializer, whose setup costs about a hundred milliseconds of JIT the first time in a process.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(ModelManifest))]
internal sealed partial class ModelManifestJsonContext : JsonSerializerContext
{
}
