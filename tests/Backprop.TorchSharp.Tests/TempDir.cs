using Mono.Unix.Native;

namespace Backprop.Tests;

/// <summary>A fresh folder under the system's temporary folder, deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "backprop-tests-" + Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Makes a FIFO (named pipe) at <paramref name="name"/> in the folder, as <c>mkfifo</c> does (Linux and macOS); returns its path.</summary>
    public string Fifo(string name)
    {
        var path = File(name);
        Assert.True(Syscall.mkfifo(path, FilePermissions.S_IRUSR | FilePermissions.S_IWUSR) == 0, $"mkfifo {path}: {Stdlib.GetLastError()}");
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
