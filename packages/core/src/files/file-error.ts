import { CascadenceError, ErrorCode } from '../errors';

/** Why a file operation failed, in words (EISDIR and friends carry no path or message worth showing). */
export function fileErrorReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EISDIR'
    ? 'it is a directory, not a file'
    : code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : code === 'ELOOP'
        ? 'too many levels of symbolic links'
        : code === 'ENOTDIR'
          ? 'a part of the path is not a directory'
          : ((error as Error | undefined)?.message ?? String(error));
}

/** `CASCADENCE_FILE_UNWRITABLE` naming `path`: "<path>: cannot <action> the <what>: <reason>". */
export function fileError(path: string, error: unknown, action: string, what: string): CascadenceError {
  return new CascadenceError(ErrorCode.FILE_UNWRITABLE, `${path}: cannot ${action} the ${what}: ${fileErrorReason(error)}`, {
    details: { path, errno: (error as NodeJS.ErrnoException | undefined)?.code },
    cause: error,
  });
}
