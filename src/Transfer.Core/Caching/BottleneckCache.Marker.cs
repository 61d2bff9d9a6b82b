using System.Text;
using Transfer.IO;

namespace Transfer.Caching;

/// <content>The format marker: a small JSON file that names the cache format and its version.</content>
public sealed partial class BottleneckCache
{
    private const string MarkerFileName = "transfer-cache.json";
    private const string MarkerContent = "{\"format\":\"transfer.bottleneck-cache\",\"version\":1,\"documentation\":\"src/Transfer.Core/Caching/FORMAT.md\"}\n";

    /// <summary>Writes the marker into a new cache folder, or checks the one there.</summary>
    /// <exception cref="NotSupportedException">The folder holds another cache format version.</exception>
    private static void CheckOrWriteFormatMarker(string full)
    {
        string marker = Path.Combine(full, MarkerFileName);
        if (File.Exists(marker))
        {
            string text = File.ReadAllText(marker);
            if (ReadMarkerVersion(text) != 1)
            {
                throw new NotSupportedException($"Bottleneck cache {full} has format marker {text.Trim()}, which this version (format 1) cannot read. Use a newer Transfer, or another cache folder.");
            }
        }
        else
        {
            // The temporary name is a segment's, so an interrupted write is cleaned up as a stale temporary file.
            AtomicFile.WriteAllBytes(marker, Encoding.UTF8.GetBytes(MarkerContent), SegmentFile.TempName());
        }
    }

    private static int ReadMarkerVersion(string text)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(text);
            return document.RootElement.TryGetProperty("version", out System.Text.Json.JsonElement version) && version.TryGetInt32(out int value) ? value : -1;
        }
        catch (System.Text.Json.JsonException)
        {
            return -1;
        }
    }

}
