using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Backprop.Data;
using TorchSharp;

namespace Backprop.Native;

/// <summary>
/// Makes TorchSharp's native glue (<c>libLibTorchSharp.so</c>) load on Linux systems whose libstdc++ is older than
/// the one it was built with (Debian 12, Ubuntu 22.04: TorchSharp 0.107.0 asks for <c>GLIBCXX_3.4.32</c> for one
/// symbol that nothing calls). Runs automatically before any type of this library is used.
/// </summary>
/// <remarks>
/// If the packaged library loads, nothing is done. If it fails only because a libstdc++ symbol version is missing,
/// a copy whose requirement is marked weak (<see cref="WeakVersionPatch"/>) is written to a per-user cache folder
/// keyed by the original's SHA-256 (temporary file, then rename), loaded after the libraries it needs, and
/// TorchSharp's P/Invokes are resolved to it. The NuGet cache and the build output are never modified.
/// The cache folder is the first of <c>$BACKPROP_NATIVE_CACHE</c>, <c>$XDG_CACHE_HOME/backprop-torchsharp</c> and
/// <c>~/.cache/backprop-torchsharp</c> that is an absolute path where the copy can be written (a file, a device, a
/// folder or an unwritable place is skipped, and <see cref="Status"/> says why); when none is, a private temporary
/// folder holds the copy only until it is loaded. Never the current directory.
/// </remarks>
public static partial class TorchNative
{
    private const string LibraryName = "LibTorchSharp";
    private const string FileName = "libLibTorchSharp.so";
    private const int MaxWeakenedVersions = 8;
    private static readonly Lock Gate = new();
    private static bool _prepared;
    private static IntPtr _patchedHandle;
    private static string? _failure;

    /// <summary>One line that says what <see cref="Prepare"/> found and did.</summary>
    public static string Status { get; private set; } = "not prepared yet";

    /// <summary>The patched copy in use, or <see langword="null"/> when the packaged library loaded as it is.</summary>
    public static string? PatchedPath { get; private set; }

    /// <summary>Prepares the native library once; never throws. <see cref="Status"/> says what happened.</summary>
    public static void Prepare()
    {
        lock (Gate)
        {
            if (_prepared) return;
            _prepared = true;
            try
            {
                Status = PrepareCore();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ElfFormatException or DllNotFoundException or BadImageFormatException or InvalidOperationException)
            {
                // Only reached once the packaged library has failed to load: torch cannot load either.
                Status = _failure = $"tried to load a patched copy of {FileName} and failed: {e.Message}";
            }
        }
    }

    /// <summary>Prepares the native library and initialises TorchSharp's CPU backend.</summary>
    /// <exception cref="TorchNativeException">TorchSharp could not load; the message is TorchSharp's own plus one line on what was tried.</exception>
    public static void EnsureLoaded()
    {
        Prepare();
        if (_failure is { } failure) throw new TorchNativeException(failure); // before torch: its own fallback would copy 500 MB next to the application and print a misleading trace
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
        }
        catch (Exception e) when (e is NotSupportedException or DllNotFoundException or TypeInitializationException or InvalidOperationException)
        {
            throw new TorchNativeException($"{e.Message}\nBackprop.TorchSharp: {Status}", e);
        }
    }

    private static string PrepareCore()
    {
        if (!OperatingSystem.IsLinux()) return "not Linux: TorchSharp loads its native library itself";
        var original = FindPackagedLibrary();
        if (original is null) return $"no packaged {FileName} found next to the application; left to TorchSharp";

        var error = TryLoad(original, out _);
        if (error is not null && MissingLibstdcxxVersion(error) is null)
        {
            // libtorch in a package folder of its own (a program that runs from the NuGet cache): the original's $ORIGIN
            // run path does not find it.
            PreloadDependencies(original, ElfImage.Load(original));
            error = TryLoad(original, out _);
        }
        if (error is null) return $"the packaged {FileName} loads as it is";

        var bytes = File.ReadAllBytes(original);
        var key = Convert.ToHexStringLower(SHA256.HashData(bytes))[..16];
        var weakened = new List<string>();
        while (MissingLibstdcxxVersion(error) is { } version)
        {
            if (weakened.Contains(version) || weakened.Count == MaxWeakenedVersions)
                return _failure = $"{FileName} still fails after weakening {string.Join(", ", weakened)}: {error}";
            bytes = WeakVersionPatch.Apply(bytes, original, "libstdc++.so.6", version);
            weakened.Add(version);
            var (patched, temporary, skipped) = WriteSomewhere(key, bytes);
            if (patched is null)
            {
                _failure = $"{FileName} needs a patched copy (the system libstdc++ lacks {string.Join(", ", weakened)}) and no folder could hold it: {skipped}. "
                    + "Set BACKPROP_NATIVE_CACHE to a writable folder.";
                return _failure;
            }
            PreloadDependencies(original, ElfImage.Parse(bytes, original));
            error = TryLoad(patched, out var handle);
            if (temporary) Directory.Delete(Path.GetDirectoryName(Path.GetDirectoryName(patched))!, recursive: true); // temp/key/lib; a loaded library stays mapped
            if (error is null)
                return Use(patched, handle, weakened) + (temporary ? $" (a private temporary copy, deleted once loaded: {skipped}; set BACKPROP_NATIVE_CACHE to a writable folder to keep it)"
                    : skipped.Length > 0 ? $" (skipped {skipped})" : "");
        }
        // Never left to TorchSharp from here: its fallback copies libtorch (500 MB) into the application's or the NuGet
        // cache's folder, then fails the same way.
        return _failure = $"the packaged {FileName} fails to load for a reason a patch cannot fix: {error}";
    }

    private static string Use(string patched, IntPtr handle, List<string> weakened)
    {
        _patchedHandle = handle;
        NativeLibrary.SetDllImportResolver(typeof(torch).Assembly, Resolve);
        PatchedPath = patched;
        return $"the system libstdc++ lacks {string.Join(", ", weakened)}; loaded a copy of {FileName} with that requirement marked weak: {patched}";
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name is LibraryName or FileName ? _patchedHandle : IntPtr.Zero;

    /// <summary>The missing libstdc++ version in a loader error such as <c>version `GLIBCXX_3.4.32' not found (required by …libLibTorchSharp.so)</c>, when the library that needs it is ours to patch.</summary>
    internal static string? MissingLibstdcxxVersion(string loaderError)
    {
        var m = MissingVersion().Match(loaderError);
        return m.Success && m.Groups["by"].Value.EndsWith(FileName, StringComparison.Ordinal) ? m.Groups["version"].Value : null;
    }

    [GeneratedRegex(@"version `(?<version>(GLIBCXX|CXXABI)_[0-9.]+)' not found \(required by (?<by>[^)]+)\)")]
    private static partial Regex MissingVersion();

    private static string? TryLoad(string path, out IntPtr handle)
    {
        try
        {
            handle = NativeLibrary.Load(path);
            return null;
        }
        catch (DllNotFoundException e)
        {
            handle = IntPtr.Zero;
            return e.Message;
        }
    }

    private static string? FindPackagedLibrary() => NativeSearchDirectories().Select(d => Path.Combine(d, FileName)).FirstOrDefault(File.Exists);

    /// <summary>
    /// Where the host looks for native libraries: its own list (the build output's folders or, for a program that runs
    /// from the NuGet cache such as a notebook, each package's <c>runtimes/&lt;rid&gt;/native</c>), then the application's
    /// and TorchSharp's folders.
    /// </summary>
    private static List<string> NativeSearchDirectories()
    {
        var dirs = new List<string>();
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string searchDirs)
            dirs.AddRange(searchDirs.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        var torchDir = Path.GetDirectoryName(typeof(torch).Assembly.Location);
        foreach (var dir in new[] { AppContext.BaseDirectory, torchDir })
        {
            if (string.IsNullOrEmpty(dir)) continue;
            dirs.Add(dir);
            dirs.Add(Path.Combine(dir, "runtimes", RuntimeInformation.RuntimeIdentifier, "native"));
            dirs.Add(Path.Combine(dir, "runtimes", $"linux-{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}", "native"));
        }
        return dirs;
    }

    /// <summary>
    /// Loads the libraries the copy needs (libtorch, libc10, libtorch_cpu) from the original's folder or, where libtorch
    /// comes from a package of its own, from the host's other native folders: the copy's <c>$ORIGIN</c> run path no
    /// longer finds them from the cache.
    /// </summary>
    private static void PreloadDependencies(string original, ElfImage image)
    {
        string[] dirs = [Path.GetDirectoryName(original)!, .. NativeSearchDirectories()];
        foreach (var needed in image.Needed)
        {
            if (dirs.Select(d => Path.Combine(d, needed)).FirstOrDefault(File.Exists) is { } path) NativeLibrary.Load(path);
        }
    }

    /// <summary>
    /// Writes the patched copy into the first usable cache folder, else into a fresh private temporary folder
    /// (<c>Temporary</c>); <c>Path</c> is <see langword="null"/> when nothing could hold it.
    /// <c>Skipped</c> names each folder passed over and why.
    /// </summary>
    internal static (string? Path, bool Temporary, string Skipped) WriteSomewhere(string key, byte[] patched)
    {
        var skipped = new List<string>();
        foreach (var (source, root) in CacheRoots(skipped))
        {
            try
            {
                return (WriteCached(root, key, patched), false, string.Join("; ", skipped));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                skipped.Add($"{source} ({root}): cannot write there: {e.Message.TrimEnd('.')}");
            }
        }
        DirectoryInfo? temp = null;
        try
        {
            temp = Directory.CreateTempSubdirectory("backprop-torchsharp-"); // mode 0700, a new name: nobody else's file
            return (WriteCached(temp.FullName, key, patched), true, string.Join("; ", skipped));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            skipped.Add($"the temporary folder ({temp?.FullName ?? Path.GetTempPath()}): cannot write there: {e.Message.TrimEnd('.')}");
            try { temp?.Delete(recursive: true); } catch (Exception d) when (d is IOException or UnauthorizedAccessException) { }
            return (null, false, string.Join("; ", skipped));
        }
    }

    /// <summary>Writes <paramref name="patched"/> to <c>root/key/libLibTorchSharp.so</c> atomically, unless an identical file is already there; returns its path.</summary>
    /// <exception cref="IOException"><paramref name="root"/> or the library's place is not a folder or a regular file, or the write failed.</exception>
    internal static string WriteCached(string root, string key, byte[] patched)
    {
        var dir = Path.Combine(root, key);
        var target = Path.Combine(dir, FileName);
        for (var folder = dir; !string.IsNullOrEmpty(folder); folder = Path.GetDirectoryName(folder)) // the nearest thing that exists must be a folder
        {
            var kind = PlainFile.Kind(folder);
            if (kind is "a folder") break;
            if (kind is not null || File.Exists(folder)) throw new IOException($"{folder} is {kind ?? "a file"}, not a folder");
        }
        switch (PlainFile.Kind(target, followLinks: false))
        {
            case null when File.Exists(target) && new FileInfo(target).Length == patched.Length && File.ReadAllBytes(target).AsSpan().SequenceEqual(patched):
                return target;
            case "a folder":
                throw new IOException($"{target} is a folder where the library's copy belongs");
            default:
                break; // nothing there, a different file, a link or a device: the rename below replaces the entry itself, never what a link points at
        }
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $"{FileName}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var f = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                f.Write(patched);
                f.Flush(flushToDisk: true);
            }
            File.Move(temp, target, overwrite: true); // rename(2): atomic, and a racing process writes the same bytes
        }
        finally
        {
            File.Delete(temp);
        }
        return target;
    }

    /// <summary>The cache folders to try, in order; a variable that is set but not an absolute path, or a home that does not exist, goes to <paramref name="skipped"/>.</summary>
    internal static IEnumerable<(string Source, string Root)> CacheRoots(List<string> skipped)
    {
        const string Folder = "backprop-torchsharp";
        var candidates = new List<(string Source, string? Root, string? Problem)>();
        var explicitRoot = Environment.GetEnvironmentVariable("BACKPROP_NATIVE_CACHE");
        candidates.Add(("BACKPROP_NATIVE_CACHE", explicitRoot, null));
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        candidates.Add(("XDG_CACHE_HOME", string.IsNullOrEmpty(xdg) ? null : Path.Combine(xdg, Folder), null));
        var home = Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        candidates.Add(("HOME", string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".cache", Folder),
            string.IsNullOrEmpty(home) || !Path.IsPathFullyQualified(home) || Directory.Exists(home) ? null : $"{home} does not exist"));
        foreach (var (source, root, problem) in candidates)
        {
            if (string.IsNullOrEmpty(root)) continue;
            if (!Path.IsPathFullyQualified(root)) skipped.Add($"{source} ({root}): not an absolute path");
            else if (problem is not null) skipped.Add($"{source} ({root}): {problem}");
            else yield return (source, root);
        }
    }
}

/// <summary>TorchSharp's native library could not be loaded; the message is TorchSharp's own plus one line on what this library tried.</summary>
public sealed class TorchNativeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TorchNativeException(string message, Exception inner) : base(message, inner) { }

    internal TorchNativeException(string message) : base(message) { }
}
