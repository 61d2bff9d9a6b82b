using Transfer.IO;

namespace Transfer.Reporting;

/// <summary>Writes report files so a reader never sees half a file (<see cref="AtomicFile"/>), and says how to fix a folder it cannot write to.</summary>
internal static class ReportFile
{
    public static void WriteAtomically(string path, string text)
    {
        try
        {
            AtomicFile.WriteAllText(path, text);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new IOException($"Cannot write \"{Path.GetFullPath(path)}\": {e.Message} Choose a folder you can write to.", e);
        }
    }
}
