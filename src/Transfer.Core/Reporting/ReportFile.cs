using System.Text;

namespace Transfer.Reporting;

/// <summary>Writes report files so a reader never sees half a file.</summary>
internal static class ReportFile
{
    public static void WriteAtomically(string path, string text)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? ".";
        try
        {
            Directory.CreateDirectory(folder);
            string temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
            try
            {
                File.WriteAllText(temp, text, new UTF8Encoding(false));
                File.Move(temp, full, overwrite: true);
            }
            finally
            {
                File.Delete(temp);
            }
        }
        catch (UnauthorizedAccessException e)
        {
            throw new IOException($"Cannot write \"{full}\": {e.Message} Choose a folder you can write to.", e);
        }
    }
}
