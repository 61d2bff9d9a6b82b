using System.IO.Compression;
using System.IO.Hashing;
using System.Reflection;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Transfer.Heads;

namespace Transfer.Models;

/// <content>Loading: every entry checked against its CRC-32, the head read without building the backbone session.</content>
public sealed partial class TransferModel
{
    /// <summary>Loads a model saved by <see cref="Save"/>.</summary>
    /// <param name="path">The model zip.</param>
    /// <returns>The model.</returns>
    /// <exception cref="InvalidDataException">The file is not a Transfer model zip or is damaged.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidOperationException">The head needs an ML.NET package this app does not reference (a LightGbm head without Microsoft.ML.LightGbm); the message names it.</exception>
    public static TransferModel Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"Model \"{full}\" does not exist. Pass the path of a model zip saved by Transfer.", full);
        }

        try
        {
            ModelManifest manifest;
            byte[]? onnx = null;
            MemoryStream? headModel = null;
            using (var zip = ZipFile.OpenRead(full))
            {
                // Every entry is read whole and checked against the CRC-32 the zip records: .NET does not check it, and
                // a flipped bit in stored (uncompressed) weights would otherwise load and predict wrongly without a word.
                var entries = zip.Entries.Where(e => !e.FullName.EndsWith('/')).ToDictionary(e => e.FullName, e => ReadVerified(e, full), StringComparer.Ordinal);
                if (!entries.TryGetValue(ManifestEntry, out var manifestBytes))
                {
                    throw new InvalidDataException($"Model \"{full}\" has no {ManifestEntry}: it is not a Transfer model (a plain ML.NET model zip?). Save it with TransferModel.Save.");
                }

                manifest = JsonSerializer.Deserialize(manifestBytes, ModelManifestJsonContext.Default.ModelManifest) ?? throw new InvalidDataException($"Model \"{full}\": {ManifestEntry} is empty.");
                if (entries.TryGetValue(HeadEntry, out var headBytes))
                {
                    headModel = new MemoryStream(headBytes, writable: false);
                }

                // The backbone is the largest ONNX model in the chain (a neural head adds a small one).
                foreach (var (name, all) in entries.Where(e => e.Key.EndsWith("/OnnxModel", StringComparison.Ordinal)).OrderByDescending(e => e.Value.Length).Take(1))
                {
                    // ML.NET stores the ONNX model as a 32-bit length followed by the bytes.
                    int length = all.Length >= 4 ? BitConverter.ToInt32(all, 0) : -1;
                    if (length != all.Length - 4)
                    {
                        throw new InvalidDataException($"Model \"{full}\": entry {name} is damaged (declares {length} bytes, holds {all.Length - 4}).");
                    }

                    onnx = all[4..];
                }
            }

            if (onnx is null)
            {
                throw new InvalidDataException($"Model \"{full}\" holds no ONNX backbone. It is damaged; save it again.");
            }

            var ml = new MLContext(0);
            ITransformer head;
            if (headModel is not null)
            {
                using (headModel)
                {
                    head = LoadMlNet(ml, headModel, full, manifest);
                }
            }
            else
            {
                // A zip saved before the head had its own entry: load the whole chain (ML.NET builds a backbone session too).
                ITransformer loaded;
                using (var stream = File.OpenRead(full))
                {
                    loaded = LoadMlNet(ml, stream, full, manifest);
                }

                head = loaded is TransformerChain<ITransformer> chain ? chain.LastTransformer : throw new InvalidDataException($"Model \"{full}\" is not a Transfer scoring chain.");
            }

            var trained = new TransformerHead(ml, head, manifest.Classes, manifest.FeatureLength, manifest.Head);
            return new TransferModel(ml, new Lazy<byte[]>(onnx), trained, manifest);
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or FormatException or ArgumentException or InvalidOperationException or EndOfStreamException)
        {
            if (e.Message.StartsWith("Model \"", StringComparison.Ordinal))
            {
                throw;
            }

            throw new InvalidDataException($"Model \"{full}\" cannot be loaded: {e.Message} The file is damaged or not a Transfer model; save or copy it again.", e);
        }
    }

    /// <summary>
    /// Loads an ML.NET model, naming the package to add when it needs an ML.NET assembly this app does not deploy: a
    /// LightGbm head needs Microsoft.ML.LightGbm, which Transfer.Core brings and Transfer.Scoring alone does not.
    /// </summary>
    /// <exception cref="InvalidOperationException">An ML.NET assembly the model needs is missing; the message names the package.</exception>
    private static ITransformer LoadMlNet(MLContext ml, Stream stream, string full, ModelManifest manifest)
    {
        try
        {
            return ml.Model.Load(stream, out _);
        }
        catch (Exception e) when (MissingAssembly(e) is { } assembly)
        {
            string version = typeof(MLContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "the Microsoft.ML version";
            throw new InvalidOperationException(
                $"Model \"{full}\" has a head trained with ML.NET's {manifest.Head}, which needs the {assembly} package to load, and this app does not reference it. "
                + $"Add <PackageReference Include=\"{assembly}\" Version=\"{version}\" /> to the app (Transfer.Core brings it), or train the model with another head.",
                e);
        }
    }

    /// <summary>Finds the ML.NET assembly that could not be loaded, deep inside ML.NET's reflection exceptions.</summary>
    private static string? MissingAssembly(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is FileNotFoundException { FileName: { } file } && file.StartsWith("Microsoft.ML.", StringComparison.Ordinal))
            {
                return new AssemblyName(file).Name;
            }
        }

        return null;
    }

    /// <summary>Reads a zip entry whole and checks it against the CRC-32 and length the zip records.</summary>
    private static byte[] ReadVerified(ZipArchiveEntry entry, string full)
    {
        if (entry.Length > Array.MaxLength)
        {
            throw new InvalidDataException($"Model \"{full}\": entry {entry.FullName} declares {entry.Length} bytes, more than a model holds. The file is damaged; save or copy it again.");
        }

        var bytes = new byte[entry.Length];
        using (var s = entry.Open())
        {
            s.ReadExactly(bytes);
            if (s.ReadByte() != -1)
            {
                throw new InvalidDataException($"Model \"{full}\": entry {entry.FullName} holds more than the {entry.Length} bytes the zip records. The file is damaged; save or copy it again.");
            }
        }

        uint crc = Crc32.HashToUInt32(bytes);
        if (crc != entry.Crc32)
        {
            throw new InvalidDataException($"Model \"{full}\": entry {entry.FullName} is damaged (CRC-32 {crc:X8}, the zip records {entry.Crc32:X8}). Save or copy the model again.");
        }

        return bytes;
    }
}
