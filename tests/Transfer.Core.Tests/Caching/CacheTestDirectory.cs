namespace Transfer.Core.Tests.Caching;

/// <summary>A fresh folder under the temp directory, deleted on dispose.</summary>
internal sealed class CacheTestDirectory : IDisposable
{
    public CacheTestDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "transfer-cache-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A killed child may still hold a file for a moment; the temp folder is cleaned by the OS.
        }
    }
}
