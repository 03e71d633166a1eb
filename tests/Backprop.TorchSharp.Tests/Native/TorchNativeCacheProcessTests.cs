using Backprop.Data;
using Backprop.Native;

namespace Backprop.Tests.Native;

/// <summary>
/// A bad native-library cache location (issue 16, class 8): skipped for the next one, named in the loader's status, or
/// refused with the real cause; never the current directory. As processes: the native loader runs once per process.
/// </summary>
[Trait("Category", "Process")]
public sealed class TorchNativeCacheProcessTests
{
    private static string Data => Path.Combine(Repo.Root, "data", "mnist");

    /// <summary>Runs backprop in <paramref name="cwd"/> with the cache variables set as given (null: removed), and checks that nothing appeared there.</summary>
    private static (int Code, string Out, string Err) Run(string cwd, Dictionary<string, string?> env, params string[] args)
    {
        var cache = new Dictionary<string, string?> { ["BACKPROP_NATIVE_CACHE"] = null, ["XDG_CACHE_HOME"] = null };
        foreach (var (k, v) in env) cache[k] = v;
        var result = ChildProcess.Run("dotnet", [Repo.RunnerDll, .. args], TimeSpan.FromMinutes(3), cache, cwd);
        Assert.Empty(Directory.EnumerateFileSystemEntries(cwd)); // never the current directory
        return result;
    }

    // The cache's key folder for this build's library: the one this test process uses too.
    private static string Key => Path.GetFileName(Path.GetDirectoryName(TorchNative.PatchedPath!)!);

    [NativePatchFact]
    public void A_file_where_the_cache_folder_belongs_is_skipped_for_the_next_location()
    {
        using var dir = new TempDir();
        var cwd = dir.File("cwd");
        Directory.CreateDirectory(cwd);
        var file = dir.File("a-file");
        File.WriteAllText(file, "mine");

        var (code, output, _) = Run(cwd, new() { ["BACKPROP_NATIVE_CACHE"] = file }, "info", "--data", Data);
        var (xdgCode, xdgOutput, _) = Run(cwd, new() { ["XDG_CACHE_HOME"] = file }, "info", "--data", Data);

        Assert.Equal(0, code);
        Assert.Contains($"skipped BACKPROP_NATIVE_CACHE ({file}): cannot write there: {file} is a file, not a folder", output);
        Assert.Equal(0, xdgCode);
        Assert.Contains($"skipped XDG_CACHE_HOME ({file}/backprop-torchsharp): cannot write there: {file} is a file, not a folder", xdgOutput);
        Assert.Equal("mine", File.ReadAllText(file));
    }

    [NativePatchFact]
    public void A_device_or_a_special_folder_is_skipped_and_a_torch_command_still_runs()
    {
        using var dir = new TempDir();
        var (code, output, err) = Run(dir.Path, new() { ["BACKPROP_NATIVE_CACHE"] = "/dev/null" }, "info", "--data", Data);
        var (procCode, procOutput, _) = Run(dir.Path, new() { ["BACKPROP_NATIVE_CACHE"] = "/proc/self" }, "data", "info", "--data", Data);

        Assert.Equal(0, code);
        Assert.Contains("skipped BACKPROP_NATIVE_CACHE (/dev/null): cannot write there: /dev/null is a character device, not a folder", output);
        Assert.Equal("", err);
        Assert.Equal(0, procCode);
        Assert.Contains("train", procOutput); // the splits' table: torch loaded
        Assert.Equal("a character device", PlainFile.Kind("/dev/null"));
    }

    [NativePatchFact]
    public void A_folder_where_the_library_belongs_is_skipped_and_a_dev_zero_link_is_replaced_not_read()
    {
        using var dir = new TempDir();
        var key = Key;
        var folderCache = dir.File("folder");
        Directory.CreateDirectory(Path.Combine(folderCache, key, "libLibTorchSharp.so"));
        var linkCache = dir.File("link");
        Directory.CreateDirectory(Path.Combine(linkCache, key));
        var link = Path.Combine(linkCache, key, "libLibTorchSharp.so");
        File.CreateSymbolicLink(link, "/dev/zero");
        var cwd = dir.File("cwd");
        Directory.CreateDirectory(cwd);

        var (code, output, _) = Run(cwd, new() { ["BACKPROP_NATIVE_CACHE"] = folderCache }, "info", "--data", Data);
        var (linkCode, linkOutput, _) = Run(cwd, new() { ["BACKPROP_NATIVE_CACHE"] = linkCache }, "info", "--data", Data);

        Assert.Equal(0, code);
        Assert.Contains($"cannot write there: {folderCache}/{key}/libLibTorchSharp.so is a folder where the library's copy belongs", output);
        Assert.Equal(0, linkCode);
        Assert.Contains($"native patched:   yes, {link}", linkOutput);
        Assert.Null(PlainFile.Kind(link, followLinks: false)); // the link itself was replaced by the copy
        Assert.Equal("a character device", PlainFile.Kind("/dev/zero"));
    }

    [NativePatchFact]
    public void With_no_usable_home_the_copy_goes_to_a_private_temporary_folder_that_is_deleted_not_to_the_current_directory()
    {
        using var dir = new TempDir();
        var cwd = dir.File("cwd");
        var temp = dir.File("tmp");
        Directory.CreateDirectory(cwd);
        Directory.CreateDirectory(temp);

        var (code, output, _) = Run(cwd, new() { ["HOME"] = "nowhere", ["BACKPROP_NATIVE_CACHE"] = "relative", ["TMPDIR"] = temp }, "info", "--data", Data);
        var (dataCode, _, dataErr) = Run(cwd, new() { ["HOME"] = "/nonexistent-backprop-home", ["TMPDIR"] = temp }, "data", "info", "--data", Data);

        Assert.Equal(0, code);
        Assert.Contains("BACKPROP_NATIVE_CACHE (relative): not an absolute path", output);
        Assert.Contains("HOME (nowhere/.cache/backprop-torchsharp): not an absolute path", output);
        Assert.Contains($"native patched:   yes, {temp}/backprop-torchsharp-", output);
        Assert.Contains("a private temporary copy, deleted once loaded", output);
        Assert.Equal(0, dataCode);
        Assert.Equal("", dataErr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp));
        Assert.False(Directory.Exists("/nonexistent-backprop-home"));
    }

    [NativePatchFact]
    public void With_nowhere_to_write_the_copy_a_torch_command_fails_with_the_real_cause_and_the_variable_to_set()
    {
        using var dir = new TempDir();
        var env = new Dictionary<string, string?> { ["BACKPROP_NATIVE_CACHE"] = "/dev/null", ["XDG_CACHE_HOME"] = "/dev/null", ["HOME"] = "/nonexistent-backprop-home", ["TMPDIR"] = "/dev/null" };

        var (code, output, err) = Run(dir.Path, env, "data", "info", "--data", Data);
        var (infoCode, infoOutput, _) = Run(dir.Path, env, "info", "--data", Data);

        Assert.Equal(1, code);
        Assert.StartsWith("error: libLibTorchSharp.so needs a patched copy (the system libstdc++ lacks GLIBCXX_3.4.32) and no folder could hold it: BACKPROP_NATIVE_CACHE (/dev/null): cannot write there: /dev/null is a character device, not a folder;", err);
        Assert.Contains("HOME (/nonexistent-backprop-home/.cache/backprop-torchsharp): /nonexistent-backprop-home does not exist", err);
        Assert.Contains("Set BACKPROP_NATIVE_CACHE to a writable folder.", err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.DoesNotContain("libtorch-cpu-linux-x64", err + output); // TorchSharp's misleading fallback never ran
        Assert.Equal(0, infoCode); // info reports the failure, for the bug report, rather than failing itself
        Assert.Contains("native loader: FAILED: libLibTorchSharp.so needs a patched copy", infoOutput);
    }
}

/// <summary>A fact for a system whose libstdc++ needs the patched copy of libLibTorchSharp.so (Debian 12, Ubuntu 22.04); skipped elsewhere.</summary>
internal sealed class NativePatchFactAttribute : FactAttribute
{
    public NativePatchFactAttribute()
    {
        TorchNative.Prepare();
        if (TorchNative.PatchedPath is null) Skip = $"this system loads the packaged libLibTorchSharp.so as it is: no cache is used ({TorchNative.Status})";
    }
}
