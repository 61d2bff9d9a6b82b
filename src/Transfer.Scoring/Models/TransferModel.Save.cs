using System.IO.Compression;
using System.Text.Json;
using Transfer.IO;

namespace Transfer.Models;

/// <content>Saving: the ML.NET zip, the manifest and head entries, written atomically.</content>
public sealed partial class TransferModel
{
    /// <summary>ONNX entries from this size up are stored uncompressed (a neural head's small model stays deflated).</summary>
    private const long StoreUncompressedFrom = 1 << 20;

    /// <summary>
    /// Saves the model as an ML.NET zip (plus <c>Transfer/manifest.json</c>). Written to a temporary file in the same
    /// folder and renamed into place, so an existing file is never left half-written.
    /// </summary>
    /// <param name="path">The zip file to write.</param>
    /// <param name="input">The input column kind of the saved chain.</param>
    /// <param name="cancellationToken">Checked before writing and before the rename; a cancelled save leaves any existing file as it was.</param>
    /// <exception cref="IOException">The file cannot be written (the disk is full, the folder is read-only…); any existing file is left as it was.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public void Save(string path, ScoringInput input = ScoringInput.ImagePath, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        string full = Path.GetFullPath(path);
        try
        {
            var (chain, schema) = BuildChain(input, null, fallbackToCpu: true);
            AtomicFile.Write(
                full,
                stream =>
                {
                    // ML.NET cannot serialise an image-typed input schema; such a model is saved without one (PredictionEngine does not need it).
                    _ml.Model.Save(chain, input == ScoringInput.ImagePath ? schema : null, stream);
                    stream.Position = 0;
                    using var zip = new ZipArchive(stream, ZipArchiveMode.Update, leaveOpen: true);
                    StoreOnnxUncompressed(zip);
                    using (var writer = zip.CreateEntry(ManifestEntry).Open())
                    {
                        JsonSerializer.Serialize(writer, Manifest with { Input = input }, ModelManifestJsonContext.Default.ModelManifest);
                    }

                    using var head = zip.CreateEntry(HeadEntry, CompressionLevel.Fastest).Open();
                    _ml.Model.Save(_head.ScoringTransformer, null, head);
                },
                cancellationToken: cancellationToken);
        }
        catch (ArgumentOutOfRangeException e) when (e.TargetSite?.DeclaringType?.Namespace == "System.IO")
        {
            // .NET reports EFBIG (a write past the file-size limit, ulimit -f) as ArgumentOutOfRangeException from the file stream.
            throw new IOException($"Model \"{full}\" could not be written: {e.Message} Free disk space or raise the file-size limit (ulimit -f); {(File.Exists(full) ? "the existing file is unchanged" : "no file was created")}.", e);
        }
    }

    /// <summary>
    /// Rewrites the ONNX entries ML.NET deflated as stored ones. Float weights compress by about 7 %, and inflating the
    /// 64 MB ResNet18 entry took about 0.4 s of every <see cref="Load"/> (and of every plain ML.NET load).
    /// </summary>
    private static void StoreOnnxUncompressed(ZipArchive zip)
    {
        foreach (var entry in zip.Entries.Where(e => e.FullName.EndsWith("/OnnxModel", StringComparison.Ordinal) && e.Length >= StoreUncompressedFrom).ToList())
        {
            string name = entry.FullName;
            var bytes = new byte[entry.Length];
            using (var s = entry.Open())
            {
                s.ReadExactly(bytes);
            }

            entry.Delete();
            using var stored = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
            stored.Write(bytes);
        }
    }
}
