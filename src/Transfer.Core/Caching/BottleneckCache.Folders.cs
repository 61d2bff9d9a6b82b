using System.Security.Cryptography;
using System.Text;

namespace Transfer.Caching;

/// <content>The folder layout: one folder per fingerprint, listed safely while other processes change it.</content>
public sealed partial class BottleneckCache
{
    internal static string StoreDirectoryName(string fingerprint) =>
        StorePrefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(fingerprint)).AsSpan(0, 16));

    private List<string> StoreDirectories()
    {
        try
        {
            return [.. System.IO.Directory.EnumerateDirectories(Directory, StorePrefix + "*")];
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
    }

    private static List<FileInfo> SafeFiles(string directory, SearchOption option)
    {
        var files = new List<FileInfo>();
        try
        {
            foreach (FileInfo file in new DirectoryInfo(directory).EnumerateFiles("*", option))
            {
                try
                {
                    _ = file.Length;
                    files.Add(file);
                }
                catch (FileNotFoundException)
                {
                    // Renamed or deleted by another process while listing.
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
            // No such folder yet.
        }

        return files;
    }
}
