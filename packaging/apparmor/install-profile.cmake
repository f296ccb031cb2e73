# Run by `cmake --install` (and cpack): installs the AppArmor profile attached to the layerbox
# being installed. Decided at install time, not configure time, because the prefix can change
# then (`cmake --install --prefix`, cpack installing into /usr).
#
# Input: LB_APPARMOR_SOURCE (packaging/apparmor/usr.bin.layerbox), LB_BINDIR (relative to the
# prefix), LB_APPARMOR_DIR (empty: /etc/apparmor.d for the prefixes /usr and /usr/local, the
# only directory the system's AppArmor reads; PREFIX/etc/apparmor.d otherwise).
set(_lb_exe "${CMAKE_INSTALL_PREFIX}/${LB_BINDIR}/layerbox")
cmake_path(NORMAL_PATH _lb_exe)
if(LB_APPARMOR_DIR)
    set(_lb_dir "${LB_APPARMOR_DIR}")
elseif(CMAKE_INSTALL_PREFIX MATCHES "^/usr(/local)?/?$")
    set(_lb_dir /etc/apparmor.d)
else()
    set(_lb_dir "${CMAKE_INSTALL_PREFIX}/etc/apparmor.d")
endif()
# AppArmor's naming convention: the attached path with dots, /usr/bin/layerbox -> usr.bin.layerbox
string(REGEX REPLACE "^/" "" _lb_name "${_lb_exe}")
string(REPLACE "/" "." _lb_name "${_lb_name}")
file(READ "${LB_APPARMOR_SOURCE}" _lb_text)
string(REPLACE "/usr/bin/layerbox" "${_lb_exe}" _lb_text "${_lb_text}")
string(REPLACE "usr.bin.layerbox" "${_lb_name}" _lb_text "${_lb_text}")
# Straight into this system (no DESTDIR) with an AppArmor older than 4.0 (Debian 12 has 3.0):
# it cannot parse the profile, whose failure would fail apparmor.service, and it does not
# restrict user namespaces, so the profile is not needed. (The Debian package ships it and its
# postinst disables it there instead.)
if("$ENV{DESTDIR}" STREQUAL "" AND _lb_dir STREQUAL "/etc/apparmor.d" AND IS_DIRECTORY /etc/apparmor.d
   AND NOT EXISTS /etc/apparmor.d/abi/4.0)
    message(STATUS "Skipping the AppArmor profile: this system's AppArmor is older than 4.0 "
                   "(it cannot parse it, and does not restrict user namespaces)")
    return()
endif()
# Directories made here get the usual 0755, whatever the umask.
set(_lb_make)
set(_lb_d "$ENV{DESTDIR}${_lb_dir}")
while(NOT EXISTS "${_lb_d}")
    list(PREPEND _lb_make "${_lb_d}")
    cmake_path(GET _lb_d PARENT_PATH _lb_d)
endwhile()
foreach(_lb_d IN LISTS _lb_make)
    file(MAKE_DIRECTORY "${_lb_d}")
    file(CHMOD "${_lb_d}" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
         GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
endforeach()
# Written in place (not copied from the build tree, which `sudo cmake --install` would then
# leave a root-owned file in), and recorded like any installed file.
set(_lb_dest "$ENV{DESTDIR}${_lb_dir}/${_lb_name}")
message(STATUS "Installing: ${_lb_dest}")
file(WRITE "${_lb_dest}" "${_lb_text}")
file(CHMOD "${_lb_dest}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${_lb_dir}/${_lb_name}")
if("$ENV{DESTDIR}" STREQUAL "" AND _lb_dir STREQUAL "/etc/apparmor.d")
    message(STATUS "Load the AppArmor profile with: apparmor_parser -r ${_lb_dir}/${_lb_name}")
endif()
