namespace Transfer.Caching;

/// <content>Clearing: deleting every stored vector.</content>
public sealed partial class BottleneckCache
{
    /// <summary>Deletes every stored vector of every fingerprint, buffered ones included. Open stores stay usable and empty.</summary>
    /// <returns>The number of files deleted.</returns>
    /// <remarks>A writer in another process that commits meanwhile may leave its new segment behind; that is harmless.</remarks>
    public int Clear()
    {
        EnsureNotDisposed();
        int files = 0;
        foreach (string storeDirectory in StoreDirectories())
        {
            foreach (FileInfo file in SafeFiles(storeDirectory, SearchOption.AllDirectories))
            {
                try
                {
                    file.Delete();
                    files++;
                }
                catch (IOException)
                {
                    // Held open on another platform; it is removed by the next clear.
                }
            }

            try
            {
                System.IO.Directory.Delete(storeDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A writer in another process added a file meanwhile.
            }
        }

        foreach (BottleneckStore store in OpenStores())
        {
            store.Reload(keepPending: false);
        }

        return files;
    }
}
